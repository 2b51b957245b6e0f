import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A complete answer, kept to be replayed: the GraphQL result and its HTTP status. */
export interface KeptResponse {
  status: number;
  body: Record<string, unknown>;
}

/** What the store holds for one caller's key. */
type Entry =
  | { state: 'in-flight'; fingerprint: string; owner: string }
  | { state: 'done'; fingerprint: string; response: KeptResponse };

/** What a request carrying a key may do. */
export type Claim =
  /** Run it: nobody holds the key. `owner` proves the claim when completing or releasing it. */
  | { kind: 'run'; owner: string }
  /** Answer with what the first request answered. */
  | { kind: 'replay'; response: KeptResponse }
  /** The key was used with another operation or other variables. */
  | { kind: 'mismatch' }
  /** Another request with this key is running. */
  | { kind: 'in-flight' };

export interface IdempotencyStoreOptions {
  /** How long a complete answer is kept, seconds (24 hours). */
  keepSeconds: number;
  /**
   * How long a running request holds its key, seconds: a gateway that dies mid-request frees the
   * key after this, so a retry can run (the subgraphs' own de-duplication covers the write).
   */
  holdSeconds: number;
}

/** Keys and their answers, per caller. */
export interface IdempotencyStore {
  claim(id: string, fingerprint: string): Promise<Claim>;
  complete(id: string, owner: string, fingerprint: string, response: KeptResponse): Promise<void>;
  /** Frees a claim whose request ended without a complete answer, so a retry runs it. */
  release(id: string, owner: string): Promise<void>;
}

function judge(entry: Entry, fingerprint: string): Claim {
  if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
  return entry.state === 'done'
    ? { kind: 'replay', response: entry.response }
    : { kind: 'in-flight' };
}

/** In this process only (no Redis configured, or while Redis is down). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, { entry: Entry; expires: number }>();

  constructor(private readonly options: IdempotencyStoreOptions) {}

  async claim(id: string, fingerprint: string): Promise<Claim> {
    this.sweep();
    const held = this.entries.get(id);
    if (held) return judge(held.entry, fingerprint);
    const owner = randomUUID();
    this.put(id, { state: 'in-flight', fingerprint, owner }, this.options.holdSeconds);
    return { kind: 'run', owner };
  }

  async complete(id: string, owner: string, fingerprint: string, response: KeptResponse) {
    const held = this.entries.get(id)?.entry;
    if (held?.state === 'in-flight' && held.owner !== owner) return;
    this.put(id, { state: 'done', fingerprint, response }, this.options.keepSeconds);
  }

  async release(id: string, owner: string) {
    const held = this.entries.get(id)?.entry;
    if (held?.state === 'in-flight' && held.owner === owner) this.entries.delete(id);
  }

  private put(id: string, entry: Entry, seconds: number): void {
    this.entries.set(id, { entry, expires: Date.now() + seconds * 1000 });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, { expires }] of this.entries) if (expires <= now) this.entries.delete(id);
  }
}

// Replaces the entry only while it is still this owner's claim (or gone): a claim that expired
// and was taken by a retry is not overwritten by the slow first request.
const COMPLETE = `
local current = redis.call('GET', KEYS[1])
if current then
  local entry = cjson.decode(current)
  if entry.state == 'in-flight' and entry.owner ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

const RELEASE = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local entry = cjson.decode(current)
if entry.state == 'in-flight' and entry.owner == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Shared by every gateway replica. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: IdempotencyStoreOptions,
  ) {}

  async claim(id: string, fingerprint: string): Promise<Claim> {
    const key = this.key(id);
    const owner = randomUUID();
    const entry: Entry = { state: 'in-flight', fingerprint, owner };
    const set = await this.redis.set(
      key,
      JSON.stringify(entry),
      'EX',
      this.options.holdSeconds,
      'NX',
    );
    if (set === 'OK') return { kind: 'run', owner };
    const current = await this.redis.get(key);
    // Expired between the two commands: try once more.
    if (current === null) return this.claim(id, fingerprint);
    return judge(JSON.parse(current) as Entry, fingerprint);
  }

  async complete(id: string, owner: string, fingerprint: string, response: KeptResponse) {
    const entry: Entry = { state: 'done', fingerprint, response };
    await this.redis.eval(
      COMPLETE,
      1,
      this.key(id),
      owner,
      JSON.stringify(entry),
      String(this.options.keepSeconds),
    );
  }

  async release(id: string, owner: string) {
    await this.redis.eval(RELEASE, 1, this.key(id), owner);
  }

  private key(id: string): string {
    return `${this.prefix}${id}`;
  }
}
