import { InProcessPubSub, RedisPubSub, silentLogger, type PubSub } from '../index';

async function nextMessages(
  pubsub: PubSub,
  channel: string,
  count: number,
  publish: () => Promise<void>,
): Promise<string[]> {
  const received: string[] = [];
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const unsubscribe = await pubsub.subscribe(channel, (message) => {
    received.push(message);
    if (received.length === count) done();
  });
  await publish();
  await all;
  await unsubscribe();
  return received;
}

describe.each([
  ['in-process', () => new InProcessPubSub()],
  ['Redis', () => new RedisPubSub(process.env.REDIS_URL as string, silentLogger(), 'pubsub-test')],
])('%s pub/sub', (_name, create) => {
  let pubsub: PubSub;

  beforeAll(() => {
    pubsub = create();
  });

  afterAll(async () => {
    await pubsub.close();
  });

  it('delivers messages to subscribers of the channel, in publish order', async () => {
    const channel = `test:${Math.random()}`;
    const messages = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const received = await nextMessages(pubsub, channel, messages.length, async () => {
      for (const message of messages) await pubsub.publish(channel, message);
    });
    expect(received).toEqual(messages);
  });

  it('stops delivering after unsubscribe and does not cross channels', async () => {
    const seen: string[] = [];
    const unsubscribe = await pubsub.subscribe('test:a', (m) => seen.push(m));
    await unsubscribe();
    const other = await nextMessages(pubsub, 'test:b', 1, () => pubsub.publish('test:b', 'b'));
    await pubsub.publish('test:a', 'a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(other).toEqual(['b']);
    expect(seen).toEqual([]);
    expect(pubsub.isReady()).toBe(true);
  });
});
