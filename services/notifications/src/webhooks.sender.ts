import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, refusalOf, type AddressPolicy } from './webhooks.address-guard';
import { signatureHeader } from './webhooks.signature';

/** How long a receiver has to answer before the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Enough of the answer to log; the rest is drained unread. */
const RESPONSE_PREVIEW = 512;

/** One delivery as sent: the same id and body on every attempt. */
export interface OutgoingDelivery {
  url: string;
  secret: string;
  deliveryId: string;
  event: string;
  body: string;
}

/** What one attempt got: the receiver's status, or why there was none (refused, timed out...). */
export type AttemptResult =
  { ok: boolean; status: number; error: null } | { ok: false; status: null; error: string };

/**
 * POSTs one delivery, signed at the moment of sending, through a lookup that checks the resolved
 * address (and connects to that address): redirects are not followed (a 3xx is a failed attempt),
 * an answer that takes longer than `timeoutMs` is a failed attempt.
 */
export function sendDelivery(
  delivery: OutgoingDelivery,
  policy: AddressPolicy,
  { timeoutMs = DELIVERY_TIMEOUT_MS, userAgent = 'PSA-Graph-Webhooks/1' } = {},
): Promise<AttemptResult> {
  const url = new URL(delivery.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address never goes through a lookup: check it here.
  const literalRefusal =
    isIP(host) && !policy.allowedHosts.has(host.toLowerCase()) ? refusalOf(host, policy) : null;
  if (literalRefusal) return Promise.resolve({ ok: false, status: null, error: literalRefusal });
  const transport = url.protocol === 'https:' ? https : http;
  const timestamp = Math.floor(Date.now() / 1000);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(host, policy),
        // One connection per attempt: a pooled socket would skip the lookup's check.
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(delivery.body),
          'user-agent': userAgent,
          'x-psa-event': delivery.event,
          'x-psa-delivery': delivery.deliveryId,
          'x-psa-signature': signatureHeader(delivery.secret, delivery.body, timestamp),
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_PREVIEW) response.destroy();
        });
        response.on('close', () =>
          settle({ ok: status >= 200 && status < 300, status, error: null }),
        );
        response.on('end', () =>
          settle({ ok: status >= 200 && status < 300, status, error: null }),
        );
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      settle({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (error) => settle({ ok: false, status: null, error: error.message }));
    request.end(delivery.body);
  });
}
