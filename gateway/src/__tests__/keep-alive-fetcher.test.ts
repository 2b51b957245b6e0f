import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keepAliveFetcher, subgraphAgent } from '../keep-alive-fetcher';

let server: http.Server;
let url: string;
/** Sockets the server saw closed by the client (not by its own keep-alive timeout). */
const closedByClient: boolean[] = [];

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('{}'));
  server.keepAliveTimeout = 3_000;
  server.on('connection', (socket) => {
    socket.on('end', () => closedByClient.push(true));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('closes an idle socket before the server does, so no request races its closing', async () => {
  const agent = subgraphAgent(10_000);
  const fetcher = keepAliveFetcher(agent, 10_000);
  expect((await fetcher(url, { method: 'POST', body: '{}' })).status).toBe(200);
  expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
  // The server announces `Keep-Alive: timeout=3`: the agent lets go after 2 s, before the server.
  while (Object.values(agent.freeSockets).flat().length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(closedByClient).toEqual([true]);
  agent.destroy();
});
