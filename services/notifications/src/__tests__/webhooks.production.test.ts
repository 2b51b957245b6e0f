/**
 * The webhook deliveries of a production service (the domain and its Pulse jobs on the test's
 * MongoDB, a real local receiver): a webhook whose name resolves to loopback is recorded and
 * attempted, every attempt is refused before a connection and the receiver hears nothing; with
 * the host in WEBHOOK_ALLOWED_HOSTS the same delivery arrives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@psa/shared';
import { eventually, randomId } from '@psa/shared/testing';
import mongoose, { Types } from 'mongoose';
import { webhookDeliveryModel, webhookModel } from '../models/webhook.model';
import { databaseUrl } from '../reminders';
import { WebhooksDomain } from '../webhooks.domain';

let receiver: Server;
let port: number;
let received = 0;
let connection: mongoose.Connection;
const domains: WebhooksDomain[] = [];
const dbName = `psa_webhooks_${randomId().slice(0, 8)}`;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    received += 1;
    request.resume();
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
  connection = await mongoose
    .createConnection(process.env.MONGO_URL as string, { dbName })
    .asPromise();
});

afterAll(async () => {
  for (const domain of domains) await domain.stop();
  await connection?.dropDatabase().catch(() => undefined);
  await connection?.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function productionWebhooks(allowedHosts: string[]): Promise<WebhooksDomain> {
  const domain = new WebhooksDomain({
    webhooks: webhookModel(connection),
    deliveries: webhookDeliveryModel(connection),
    policy: { production: true, allowedHosts: new Set(allowedHosts) },
    jobsDatabaseUrl: databaseUrl(process.env.MONGO_URL as string, dbName),
    pollMs: 100,
    retryDelayMs: 20,
    logger: silentLogger(),
  });
  domains.push(domain);
  await domain.start();
  return domain;
}

const outgoing = { event: 'task.created' as const, data: { taskId: 'x' } };

it('refuses every attempt at a private address; WEBHOOK_ALLOWED_HOSTS lets it through', async () => {
  const refusing = await productionWebhooks([]);
  // `localhost` is a name: only resolving it shows that it is loopback.
  const { webhook } = await refusing.create(
    { url: `https://localhost:${port}/hook`, events: ['task.created'] },
    new Types.ObjectId(),
  );
  await refusing.enqueue(randomId(), outgoing, new Date());
  const deliveries = webhookDeliveryModel(connection);
  await eventually(
    async () => (await deliveries.findOne({ webhookId: webhook._id }).lean())?.status === 'FAILED',
    30_000,
  );
  const failed = await deliveries.findOne({ webhookId: webhook._id }).lean();
  expect(failed).toMatchObject({ status: 'FAILED', attempts: 8, responseStatus: null });
  expect(failed?.lastError).toMatch(/private, loopback/);
  expect(received).toBe(0);
  await refusing.stop();

  // Allowed by name: the delivery reaches the receiver (over plain HTTP: the URL check is at
  // creation, and this one is stored as the admin gave it).
  const allowing = await productionWebhooks(['localhost']);
  await webhookModel(connection)
    .updateOne({ _id: webhook._id }, { $set: { url: `http://localhost:${port}/hook` } })
    .exec();
  await allowing.enqueue(randomId(), outgoing, new Date());
  await eventually(() => received === 1, 30_000);
});

it('refuses to create a webhook at a private address literal or over http: in production', async () => {
  const domain = await productionWebhooks([]);
  for (const url of ['https://10.0.0.8/hook', 'https://[::1]/hook', `http://example.com/hook`]) {
    await expect(
      domain.create({ url, events: ['task.created'] }, new Types.ObjectId()),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.url' } });
  }
});
