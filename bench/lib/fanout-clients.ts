/**
 * The client side of the fan-out benchmark, in a process of its own (`fork`ed by
 * fanout.bench.ts): opens N graphql-ws connections, subscribes each to one project's status
 * updates, and reports when each received the first update, on the clock both processes share
 * (`performance.timeOrigin + performance.now()`).
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

interface Start {
  url: string;
  token: string;
  query: string;
  variables: Record<string, unknown>;
  count: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
const arrivals: number[] = [];
let expected = 0;

function open(start: Start): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(start.url, 'graphql-transport-ws');
    sockets.push(socket);
    socket.on('open', () =>
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${start.token}` },
        }),
      ),
    );
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') {
        socket.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: start.query, variables: start.variables },
          }),
        );
        resolve();
      } else if (message.type === 'next') {
        arrivals.push(now());
        if (arrivals.length === expected) process.send?.({ type: 'arrivals', arrivals });
      }
    });
    socket.on('error', reject);
  });
}

process.on('message', (message: { type: string } & Partial<Start>) => {
  if (message.type === 'start') {
    const start = message as Start;
    expected = start.count;
    void (async () => {
      // In batches: thousands of handshakes at once would only measure the accept queue.
      for (let i = 0; i < start.count; i += 250) {
        const batch = Math.min(250, start.count - i);
        await Promise.all(Array.from({ length: batch }, () => open(start)));
      }
      process.send?.({ type: 'subscribed' });
    })().catch((error: unknown) => {
      process.send?.({ type: 'failed', error: String(error) });
    });
  }
  if (message.type === 'stop') {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  }
});
