import type { Identity, RequestContextBase } from '@psa/shared';

/**
 * Per-request context at the gateway. `authorization` is forwarded as is to the subgraphs, unless
 * the operation guard cleared it because the gateway refused the token.
 */
export interface GatewayContext extends RequestContextBase {
  /** The `Authorization` header; cleared when the gateway does not accept the token in it. */
  authorization: string | undefined;
  /** The client address rate limits count against. */
  clientAddress: string;
  /** The verified caller, once the operation guard has run (null: anonymous). */
  identity: Identity | null;
  /** The request's `Idempotency-Key` once the idempotency plugin let it run (forwarded). */
  idempotencyKey?: string;
  /** Where the client reached the gateway (e.g. `https://psa.example.com`), for absolute file links. */
  origin?: string;
}
