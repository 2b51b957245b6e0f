import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContext, GraphQLResponse } from '@apollo/server';
import { OperationTypeNode, print } from 'graphql';
import { ErrorCode, HTTP_STATUS } from '@psa/shared';
import type { GatewayContext } from '../gateway-context';
import type { IdempotencyStore, KeptResponse } from './idempotency-store';

/** The request header (Stripe's and the IETF httpapi draft's name). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on an answer replayed from an earlier request with the same key. */
export const REPLAYED_HEADER = 'idempotent-replayed';
/** Longest key accepted. */
export const MAX_KEY_LENGTH = 255;

export interface IdempotencyOptions {
  /** Where keys live (Redis, shared by the replicas). */
  store: IdempotencyStore;
  /** Used while `store` fails (Redis down): keys hold within this gateway only. */
  fallback: IdempotencyStore;
  /** How long a request waits for another one running with its key before CONFLICT, ms. */
  waitMs: number;
}

/**
 * Codes of answers that are not complete: the operation did not run to a result the client
 * should see again (a subgraph was down, the gateway failed, a rate limit refused it before it
 * ran). A retry with the same key runs again; the subgraphs' own de-duplication
 * (`x-idempotency-key`) keeps a write that did happen from being made twice.
 */
const INCOMPLETE = new Set<string>([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.INTERNAL_SERVER_ERROR,
  ErrorCode.RATE_LIMITED,
]);

type Context = GraphQLRequestContext<GatewayContext>;

/** What identifies "the same request": the operation as printed, its name and its variables. */
function fingerprintOf(context: Context): string {
  const { document, request } = context;
  const text = document ? print(document) : (request.query ?? '');
  return createHash('sha256')
    .update(JSON.stringify([request.operationName ?? null, text, canonical(request.variables)]))
    .digest('base64url');
}

/** `value` with object keys sorted, so `{a, b}` and `{b, a}` are the same variables. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value ?? null;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

function refusal(
  http: GraphQLResponse['http'],
  code: ErrorCode,
  message: string,
  status = HTTP_STATUS[code],
): GraphQLResponse {
  http.status = status;
  return {
    http,
    body: {
      kind: 'single',
      singleResult: { errors: [{ message, extensions: { code, field: 'Idempotency-Key' } }] },
    },
  };
}

function replayed(kept: KeptResponse, http: GraphQLResponse['http']): GraphQLResponse {
  http.status = kept.status;
  http.headers.set(REPLAYED_HEADER, 'true');
  return { http, body: { kind: 'single', singleResult: kept.body } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Honours `Idempotency-Key` on mutations over HTTP. The first complete answer is kept per caller
 * and key (24 hours) and replayed, with `Idempotent-Replayed: true`, to a retry with the same
 * operation and variables; the same key with another operation or other variables is refused
 * with BAD_USER_INPUT (422) and runs nothing; a request arriving while another with its key runs
 * waits for that one's answer, or gets CONFLICT (409) after `waitMs`. Keys are 1–255 visible
 * ASCII characters. Queries ignore the header.
 */
export function idempotencyPlugin(options: IdempotencyOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let claimed: {
        store: IdempotencyStore;
        id: string;
        owner: string;
        fingerprint: string;
      } | null = null;
      return {
        async responseForOperation(context) {
          const key = context.request.http?.headers.get(IDEMPOTENCY_HEADER);
          if (key === undefined || context.operation?.operation !== OperationTypeNode.MUTATION) {
            return null;
          }
          if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
            return refusal(
              context.response.http,
              ErrorCode.BAD_USER_INPUT,
              `Idempotency-Key must be 1–${MAX_KEY_LENGTH} visible ASCII characters`,
            );
          }
          const { identity, clientAddress } = context.contextValue;
          const caller = identity
            ? `user:${identity.userId.toLowerCase()}`
            : `anonymous:${clientAddress}`;
          const id = createHash('sha256').update(`${caller}\n${key}`).digest('base64url');
          const fingerprint = fingerprintOf(context);
          const deadline = Date.now() + options.waitMs;
          for (;;) {
            let store = options.store;
            let claim;
            try {
              claim = await store.claim(id, fingerprint);
            } catch (error) {
              context.contextValue.logger.warn(
                { err: error },
                'idempotency store unavailable: keys hold within this gateway only',
              );
              store = options.fallback;
              claim = await store.claim(id, fingerprint);
            }
            switch (claim.kind) {
              case 'run':
                claimed = { store, id, owner: claim.owner, fingerprint };
                context.contextValue.idempotencyKey = key;
                return null;
              case 'replay':
                return replayed(claim.response, context.response.http);
              case 'mismatch':
                return refusal(
                  context.response.http,
                  ErrorCode.BAD_USER_INPUT,
                  'This Idempotency-Key was used with another operation or other variables; use a new key',
                  422,
                );
              case 'in-flight':
                if (Date.now() >= deadline) {
                  return refusal(
                    context.response.http,
                    ErrorCode.CONFLICT,
                    'A request with this Idempotency-Key is still running; retry later',
                  );
                }
                await sleep(50);
                break;
              default: {
                const unknown: never = claim;
                throw new Error(`unknown claim ${JSON.stringify(unknown)}`);
              }
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!claimed) return;
          const { store, id, owner, fingerprint } = claimed;
          claimed = null;
          try {
            const body = response.body.kind === 'single' ? response.body.singleResult : null;
            const codes = (body?.errors ?? []).map((error) => String(error.extensions?.code));
            if (!body || codes.some((code) => INCOMPLETE.has(code))) {
              await store.release(id, owner);
              return;
            }
            await store.complete(id, owner, fingerprint, {
              status: response.http.status ?? 200,
              body: { ...body },
            });
          } catch (error) {
            // The answer still goes out; a retry runs again and the subgraphs de-duplicate.
            contextValue.logger.warn({ err: error }, 'could not keep the idempotent answer');
          }
        },
      };
    },
  };
}
