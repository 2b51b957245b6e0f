import {
  STREAMS,
  toObjectId,
  userDeleted,
  type OutboxRelay,
  type OutgoingEvent,
} from '@psa/shared';
import type { UserModel } from './models/user.model';

/** The outbox topic of a deleted account; its entries carry `{ userId }`. */
export const USER_DELETED_TOPIC = 'user.deleted';

/**
 * Turns a `user.deleted` outbox entry into the `user.deleted` event, but only when the user no
 * longer exists: an entry left by a delete that failed (or never ran) announces nothing.
 */
export function userDeletedRelay(users: UserModel): OutboxRelay {
  return async (data): Promise<OutgoingEvent[]> => {
    const parsed = userDeleted.schema.safeParse(data);
    const id = parsed.success ? toObjectId(parsed.data.userId) : null;
    if (!parsed.success || !id || (await users.exists({ _id: id }))) return [];
    return [
      { stream: STREAMS.users, type: userDeleted.type, data: { userId: parsed.data.userId } },
    ];
  };
}
