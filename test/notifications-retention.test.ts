/**
 * Notifications are kept NOTIFICATION_RETENTION_DAYS: the notifications service on an embedded
 * engine of the test's own (over TCP, its TTL monitor every 200 ms instead of every minute) makes
 * the TTL index, the engine removes what is older, and a service started again with another
 * retention changes the index (collMod) instead of failing on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '@psa/embedded-mongo';
import { loadNotificationsConfig, startNotificationsService } from '@psa/notifications-service';
import { silentLogger } from '@psa/shared';
import { eventually, randomId } from '@psa/shared/testing';
import { MongoClient, ObjectId, type Collection } from 'mongodb';

const DAY_MS = 86_400_000;
const dbName = `psa_notifications_${randomId().slice(0, 8)}`;
let engine: EmbeddedMongo;
let client: MongoClient;
let notifications: Collection;
let keysDir: string;

beforeAll(async () => {
  engine = await startEmbeddedMongo({ port: 0, ttlMonitorIntervalMs: 200 });
  client = await MongoClient.connect(engine.uri);
  notifications = client.db(dbName).collection('notifications');
  keysDir = mkdtempSync(path.join(os.tmpdir(), 'psa-keys-'));
});

afterAll(async () => {
  await client?.close();
  await engine?.stop();
  rmSync(keysDir, { recursive: true, force: true });
});

/** The notifications service alone on the test's engine, with `env` on top; stopped after `run`. */
async function withService(env: NodeJS.ProcessEnv, run: () => Promise<void>): Promise<void> {
  const service = await startNotificationsService(
    loadNotificationsConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MONGO_URL: engine.uri,
      JWT_KEYS_DIR: keysDir,
      NOTIFICATIONS_PORT: '0',
      NOTIFICATIONS_DB: dbName,
      ...env,
    }),
    silentLogger(),
  );
  try {
    await service.whenReady();
    await run();
  } finally {
    await service.stop();
  }
}

/** A notification as the service stores it, created `daysAgo` days ago. */
async function storedDaysAgo(daysAgo: number): Promise<ObjectId> {
  const { insertedId } = await notifications.insertOne({
    recipientId: new ObjectId(),
    kind: 'TASK_ASSIGNED',
    message: `${daysAgo} days old`,
    projectId: null,
    taskId: null,
    documentId: null,
    actorId: null,
    read: false,
    key: randomId(),
    createdAt: new Date(Date.now() - daysAgo * DAY_MS),
  });
  return insertedId;
}

const exists = async (id: ObjectId): Promise<boolean> =>
  (await notifications.countDocuments({ _id: id })) === 1;

/** The TTL of the notifications' createdAt indexes (one expected). */
const ttls = async (): Promise<unknown[]> =>
  (await notifications.listIndexes().toArray())
    .filter((index) => Object.keys(index.key as object).join() === 'createdAt')
    .map((index) => index.expireAfterSeconds);

it('removes notifications older than the retention (90 days by default), keeping the younger', async () => {
  await withService({}, async () => {
    expect(await ttls()).toEqual([90 * 86_400]);
    const old = await storedDaysAgo(91);
    const young = await storedDaysAgo(89);
    await eventually(async () => !(await exists(old)), 5_000);
    // The same passes of the TTL monitor saw the younger one and kept it.
    engine.removeExpiredDocuments();
    expect(await exists(young)).toBe(true);
  });
});

it('changes the TTL index to a new retention on start (collMod), and expires by it', async () => {
  await withService({}, async () => {
    expect(await ttls()).toEqual([90 * 86_400]);
  });
  const fortyDays = await storedDaysAgo(40);
  const twentyDays = await storedDaysAgo(20);
  expect(await exists(fortyDays)).toBe(true);
  await withService({ NOTIFICATION_RETENTION_DAYS: '30' }, async () => {
    // The index changed in place: one index, the new TTL (creating it again would have been
    // IndexOptionsConflict and the service would never have been ready).
    expect(await ttls()).toEqual([30 * 86_400]);
    await eventually(async () => !(await exists(fortyDays)), 5_000);
    engine.removeExpiredDocuments();
    expect(await exists(twentyDays)).toBe(true);
  });
  // Back to the default on the next start.
  await withService({}, async () => {
    expect(await ttls()).toEqual([90 * 86_400]);
  });
});
