import { CloseCode as ProtocolCloseCode } from 'graphql-ws';

/**
 * Every code the gateway's WebSocket endpoint closes a socket with: the gateway's own, the
 * graphql-ws protocol's (4400–4499, 4500) and those the `ws` library sends for a broken frame.
 * The README's table of close codes lists each one (a test checks).
 */
export enum WebSocketCloseCode {
  /** The gateway is shutting down: reconnect (to another replica). */
  GoingAway = 1001,
  /** `ws`: a malformed frame. */
  ProtocolError = 1002,
  /** `ws`: a text message that is not UTF-8. */
  InvalidPayload = 1007,
  /** `ws`: a message over the size limit. */
  MessageTooBig = 1009,
  /** The client did not read its results (`maxPendingResults`): reconnect and read faster. */
  TryAgainLater = 1013,
  /** A message that is not a graphql-ws message. */
  BadRequest = ProtocolCloseCode.BadRequest,
  /** No, malformed, invalid or expired token, or the session could not be checked; or a subscribe before the ack. */
  Unauthorized = ProtocolCloseCode.Unauthorized,
  /** The session ended (logout) or the role changed: refresh or log in, then reconnect. */
  Forbidden = ProtocolCloseCode.Forbidden,
  /** The client offered no `graphql-transport-ws` subprotocol. */
  SubprotocolNotAcceptable = ProtocolCloseCode.SubprotocolNotAcceptable,
  /** No `connection_init` in time. */
  ConnectionInitialisationTimeout = ProtocolCloseCode.ConnectionInitialisationTimeout,
  /** A subscribe with the id of a subscription still running. */
  SubscriberAlreadyExists = ProtocolCloseCode.SubscriberAlreadyExists,
  /** A second `connection_init`. */
  TooManyInitialisationRequests = ProtocolCloseCode.TooManyInitialisationRequests,
  /** The gateway failed handling a message (a bug; it is logged). */
  InternalServerError = ProtocolCloseCode.InternalServerError,
}
