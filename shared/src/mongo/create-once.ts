import type { Model, Schema } from 'mongoose';
import type { Identity } from '../auth/access-token';
import { isDuplicateKeyError } from '../errors/format-error';

/**
 * The header the gateway forwards a client's `Idempotency-Key` in. A subgraph never takes it as
 * is: {@link creationKey} scopes it to the verified caller, so nobody can reach another user's
 * records by sending their key.
 */
export const IDEMPOTENCY_KEY_HEADER = 'x-idempotency-key';

/** The stored field a collection de-duplicates creates by. */
export const CREATION_KEY_FIELD = 'creationKey';

/**
 * Adds the optional creation key to `schema` with a sparse unique index: records made without a
 * key are not indexed, two made with one key cannot both exist.
 */
export function withCreationKey(schema: Schema): void {
  schema.add({ [CREATION_KEY_FIELD]: { type: String, required: false } });
  schema.index({ [CREATION_KEY_FIELD]: 1 }, { unique: true, sparse: true });
}

/** What a create stores as its key: the caller's id with the request's key; none without one. */
export function creationKey(caller: Identity, key: string | null): string | undefined {
  return key === null ? undefined : `${caller.userId.toLowerCase()}:${key}`;
}

/**
 * Runs `create` (which must store `key` in {@link CREATION_KEY_FIELD}); when a record with the
 * same key exists already — a retried request whose first attempt wrote and then lost its answer
 * — answers that record instead, with `created: false`, and writes nothing.
 */
export async function createOnce<T>(
  model: Model<T>,
  key: string | undefined,
  create: () => Promise<T>,
): Promise<{ record: T; created: boolean }> {
  if (key === undefined) return { record: await create(), created: true };
  const earlier = await model
    .findOne({ [CREATION_KEY_FIELD]: key })
    .lean<T>()
    .exec();
  if (earlier) return { record: earlier, created: false };
  try {
    return { record: await create(), created: true };
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const raced = await model
      .findOne({ [CREATION_KEY_FIELD]: key })
      .lean<T>()
      .exec();
    if (!raced) throw error;
    return { record: raced, created: false };
  }
}
