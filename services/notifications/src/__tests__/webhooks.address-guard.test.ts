/**
 * Outbound webhook requests against a real local receiver: production refuses private, loopback
 * and link-local addresses (after resolving names, literals before connecting) unless
 * WEBHOOK_ALLOWED_HOSTS names them; development lets loopback through; redirects are not
 * followed; a receiver that does not answer in time is a failed attempt.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadUserInputError } from '@psa/shared';
import { checkWebhookUrl, refusalOf, type AddressPolicy } from '../webhooks.address-guard';
import { sendDelivery } from '../webhooks.sender';
import { verifySignature } from '../webhooks.signature';

const production: AddressPolicy = { production: true, allowedHosts: new Set() };
const development: AddressPolicy = { production: false, allowedHosts: new Set() };

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port: number;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body });
      if (request.url === '/redirect') {
        response.writeHead(302, { location: `http://127.0.0.1:${port}/ok` }).end();
      } else if (request.url === '/silent') {
        // Never answers: the sender gives up.
      } else {
        response.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const delivery = (url: string) => ({
  url,
  secret: 'whsec_test',
  deliveryId: 'd1',
  event: 'task.created',
  body: JSON.stringify({
    id: 'd1',
    event: 'task.created',
    createdAt: '2026-01-01T00:00:00.000Z',
    data: {},
  }),
});

describe('sending in production', () => {
  it('refuses a name that resolves to loopback, sending nothing', async () => {
    const result = await sendDelivery(delivery(`http://localhost:${port}/ok`), production);
    expect(result).toEqual({
      ok: false,
      status: null,
      error: expect.stringMatching(/private, loopback/),
    });
    expect(received).toEqual([]);
  });

  it('refuses literal private, loopback and link-local addresses without connecting', async () => {
    for (const host of [
      '127.0.0.1',
      '[::1]',
      '169.254.169.254',
      '10.1.2.3',
      '[::ffff:127.0.0.1]',
    ]) {
      const result = await sendDelivery(delivery(`http://${host}:${port}/ok`), production);
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/private, loopback/);
    }
    expect(received).toEqual([]);
  });

  it('reaches a host WEBHOOK_ALLOWED_HOSTS names', async () => {
    const allowed: AddressPolicy = { production: true, allowedHosts: new Set(['localhost']) };
    expect(await sendDelivery(delivery(`http://localhost:${port}/ok`), allowed)).toEqual({
      ok: true,
      status: 204,
      error: null,
    });
    expect(received.map((request) => request.url)).toEqual(['/ok']);
  });
});

describe('sending in development', () => {
  it('reaches loopback, signed with the headers receivers rely on', async () => {
    const sent = delivery(`http://localhost:${port}/ok`);
    expect((await sendDelivery(sent, development)).ok).toBe(true);
    const [request] = received;
    expect(request?.body).toBe(sent.body);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-psa-event']).toBe('task.created');
    expect(request?.headers['x-psa-delivery']).toBe('d1');
    // t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">, checked independently here.
    const signature = String(request?.headers['x-psa-signature']);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
    expect(match).not.toBeNull();
    const [, t, v1] = match ?? [];
    expect(v1).toBe(createHmac('sha256', sent.secret).update(`${t}.${sent.body}`).digest('hex'));
    expect(verifySignature(sent.secret, sent.body, signature)).toBe(true);
    expect(verifySignature('whsec_other', sent.body, signature)).toBe(false);
    expect(verifySignature(sent.secret, `${sent.body} `, signature)).toBe(false);
    expect(verifySignature(sent.secret, sent.body, signature, { now: Number(t) + 301 })).toBe(
      false,
    );
  });

  it('still refuses other private addresses and link-local', () => {
    expect(refusalOf('127.0.0.1', development)).toBeNull();
    expect(refusalOf('::1', development)).toBeNull();
    expect(refusalOf('169.254.169.254', development)).toMatch(/private/);
    expect(refusalOf('192.168.1.10', development)).toMatch(/private/);
    expect(refusalOf('fd00::1', development)).toMatch(/private/);
    expect(refusalOf('93.184.215.14', production)).toBeNull();
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    expect(await sendDelivery(delivery(`http://127.0.0.1:${port}/redirect`), development)).toEqual({
      ok: false,
      status: 302,
      error: null,
    });
    expect(received.map((request) => request.url)).toEqual(['/redirect']);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const result = await sendDelivery(delivery(`http://127.0.0.1:${port}/silent`), development, {
      timeoutMs: 300,
    });
    expect(result).toEqual({ ok: false, status: null, error: 'no answer within 300 ms' });
  });
});

describe('webhook URLs', () => {
  const refused = (url: string, policy: AddressPolicy) => {
    try {
      checkWebhookUrl(url, policy, 'input.url');
    } catch (error) {
      expect(error).toBeInstanceOf(BadUserInputError);
      return (error as BadUserInputError).message;
    }
    return null;
  };

  it('are https: in production, http: too in development', () => {
    expect(refused('http://hooks.example.com/psa', production)).toBe('url must be https:');
    expect(refused('https://hooks.example.com/psa', production)).toBeNull();
    expect(refused('http://hooks.example.com/psa', development)).toBeNull();
    expect(refused('ftp://hooks.example.com/psa', development)).toMatch(/https:/);
    expect(refused('not a url', development)).toMatch(/absolute URL/);
    expect(refused('https://user:pw@hooks.example.com/', production)).toMatch(/username/);
  });

  it('refuse private address literals in production at once', () => {
    expect(refused('https://10.0.0.5/hook', production)).toMatch(/refused/);
    expect(refused('https://[fe80::1]/hook', production)).toMatch(/refused/);
    expect(refused('https://127.0.0.1/hook', development)).toBeNull();
  });
});
