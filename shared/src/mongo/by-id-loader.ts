import DataLoader from 'dataloader';
import { trusted, type Model, type Types } from 'mongoose';
import { toObjectId } from './object-id';

/**
 * Documents by id, batched per request: resolving 50 references costs one `$in` query.
 * Unknown or malformed ids load null. Results are lean (plain objects).
 */
export function createByIdLoader<T extends { _id: Types.ObjectId }>(
  model: Model<T>,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const valid = ids.flatMap((id) => toObjectId(id) ?? []);
    const found = valid.length
      ? await model
          .find({ _id: trusted({ $in: valid }) })
          .lean<T[]>()
          .exec()
      : [];
    const byId = new Map(found.map((doc) => [doc._id.toHexString(), doc]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });
}
