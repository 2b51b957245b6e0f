import type { Model, QueryFilter, UpdateQuery } from 'mongoose';
import { NotFoundError } from '../errors/domain-error';

/**
 * Applies `update` to the one document `filter` selects and returns it as it now is (lean). When
 * none matches — it was deleted (or changed) since the caller checked it — throws NOT_FOUND with
 * `message` instead of recreating anything.
 */
export async function updatedOrNotFound<T>(
  model: Model<T>,
  filter: QueryFilter<T>,
  update: UpdateQuery<T>,
  message: string,
): Promise<T> {
  const document = await model
    .findOneAndUpdate(filter, update, { returnDocument: 'after' })
    .lean<T>()
    .exec();
  if (!document) throw new NotFoundError(message);
  return document;
}
