import type http from 'node:http';
import { handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '@psa/shared';
import { WebSocketCloseCode } from './close-code';

/** What every graphql-ws callback gets beside the protocol context: the socket and its request. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

/**
 * Runs a graphql-ws server on a `ws` server: graphql-ws's own `useServer` adapter, adjusted so that
 * socket errors (an oversized message among them) go to the service's logger instead of the
 * console, and with ping/pong keep-alive: a client that misses a pong is dropped.
 */
export function serveGraphqlWs<E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<Record<string, unknown>, SocketExtra & E>,
  wss: WebSocketServer,
  keepAliveMs: number,
  logger: Logger,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    socket.on('error', (error) => {
      // ws closes the socket itself (1009 for an oversized message, 1002 for a protocol error).
      logger.debug({ err: error }, 'WebSocket error');
    });
    let pongWait: NodeJS.Timeout | null = null;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'WebSocket message handling failed');
              socket.close(WebSocketCloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request } as SocketExtra & E,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });
  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(WebSocketCloseCode.GoingAway, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
