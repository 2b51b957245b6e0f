import {
  BadUserInputError,
  isDuplicateKeyError,
  paginate,
  requiredId,
  toObjectId,
  type Connection,
  type ConnectionArgs,
  type Identity,
  type Logger,
  type ProjectAccess,
} from '@psa/shared';
import { trusted, type QueryFilter, type Types } from 'mongoose';
import type {
  NotificationKind,
  NotificationModel,
  NotificationRecord,
} from './models/notification.model';
import {
  assertMayReadNotificationsOf,
  callerId,
  mayReadNotification,
} from './notifications.policy';

/** At most this many ids in one `markNotificationsRead`. */
export const MARK_READ_MAX_IDS = 100;

/** A notification to create for one recipient. */
export interface NotificationDraft {
  recipientId: Types.ObjectId;
  kind: NotificationKind;
  message: string;
  projectId?: Types.ObjectId | null;
  taskId?: Types.ObjectId | null;
  documentId?: Types.ObjectId | null;
  actorId?: Types.ObjectId | null;
  /** See {@link NotificationRecord.key}. */
  key: string;
}

export interface NotificationStores {
  notifications: NotificationModel;
  access: ProjectAccess;
  /** Tells the recipient's live subscribers (at most once; never throws). */
  publish(recipientId: Types.ObjectId, notificationId: Types.ObjectId): Promise<void>;
  logger: Logger;
}

/** The notifications of one service: creating them from events, reading and marking them. */
export class NotificationsDomain {
  constructor(private readonly stores: NotificationStores) {}

  /**
   * Creates each draft once (a draft whose key exists is skipped: a redelivered event, a reminder
   * run twice) and tells its recipient live. Returns how many were created.
   */
  async notify(drafts: readonly NotificationDraft[]): Promise<number> {
    let created = 0;
    for (const draft of drafts) {
      let record: NotificationRecord;
      try {
        const document = await this.stores.notifications.create({
          recipientId: draft.recipientId,
          kind: draft.kind,
          message: draft.message,
          projectId: draft.projectId ?? null,
          taskId: draft.taskId ?? null,
          documentId: draft.documentId ?? null,
          actorId: draft.actorId ?? null,
          read: false,
          key: draft.key,
        });
        record = document.toObject<NotificationRecord>();
      } catch (error) {
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      created += 1;
      await this.stores.publish(record.recipientId, record._id);
    }
    return created;
  }

  /**
   * What of user `userId`'s notifications is shown: those about no project, and those about a
   * live project they are on now.
   */
  private async shownTo(userId: Types.ObjectId): Promise<QueryFilter<NotificationRecord>> {
    const projectIds = await this.stores.access.projectIdsOf(userId);
    return {
      recipientId: userId,
      $or: [{ projectId: null }, { projectId: trusted({ $in: projectIds }) }],
    };
  }

  /** A page of user `rawUserId`'s notifications, newest first (the user or an admin). */
  async list(
    caller: Identity,
    rawUserId: string,
    args: ConnectionArgs & { unreadOnly?: boolean | null },
  ): Promise<Connection<NotificationRecord>> {
    const userId = requiredId(rawUserId, 'id');
    assertMayReadNotificationsOf(caller, userId);
    const shown = await this.shownTo(userId);
    const filter = args.unreadOnly ? { $and: [shown, { read: false }] } : shown;
    return paginate(this.stores.notifications, filter, args, true);
  }

  /** How many of user `rawUserId`'s shown notifications are unread (the user or an admin). */
  async unreadCount(caller: Identity, rawUserId: string): Promise<number> {
    const userId = requiredId(rawUserId, 'id');
    assertMayReadNotificationsOf(caller, userId);
    const shown = await this.shownTo(userId);
    return this.stores.notifications.countDocuments({ $and: [shown, { read: false }] }).exec();
  }

  /**
   * Notification `rawId` when `caller` may read it (its recipient, or an admin) and it is shown
   * to its recipient; null otherwise (a malformed id too), never telling which.
   */
  async visible(caller: Identity, rawId: string): Promise<NotificationRecord | null> {
    const id = toObjectId(rawId);
    if (!id) return null;
    const found = await this.stores.notifications.findById(id).lean<NotificationRecord>().exec();
    if (!found || !mayReadNotification(caller, found.recipientId)) return null;
    const shown = await this.stores.notifications
      .exists({ $and: [{ _id: id }, await this.shownTo(found.recipientId)] })
      .exec();
    return shown ? found : null;
  }

  /**
   * Marks the caller's own notifications read: `ids` (at most {@link MARK_READ_MAX_IDS}; ids that
   * are not theirs are ignored) or `all`, exactly one of them. Returns how many were unread.
   */
  async markRead(
    caller: Identity,
    input: { ids?: readonly string[] | null; all?: boolean | null },
  ): Promise<number> {
    const hasIds = input.ids !== null && input.ids !== undefined;
    const all = input.all === true;
    if (hasIds === all) {
      throw new BadUserInputError(
        'Give either ids or all: true',
        hasIds ? 'input.all' : 'input.ids',
      );
    }
    const recipientId = callerId(caller);
    const filter: QueryFilter<NotificationRecord> = { recipientId, read: false };
    if (hasIds) {
      const ids = input.ids ?? [];
      if (ids.length > MARK_READ_MAX_IDS) {
        throw new BadUserInputError(`At most ${MARK_READ_MAX_IDS} ids at once`, 'input.ids');
      }
      filter._id = trusted({ $in: ids.map((id) => requiredId(id, 'input.ids')) });
    }
    const { modifiedCount } = await this.stores.notifications
      .updateMany(filter, { $set: { read: true } })
      .exec();
    return modifiedCount;
  }

  /** Forgets a deleted user's notifications. */
  /** Removes the DOCUMENT_SHARED notifications of `userId` about `documentId` (the share was taken back). */
  async forgetShare(userId: Types.ObjectId, documentId: Types.ObjectId): Promise<void> {
    await this.stores.notifications
      .deleteMany({ recipientId: userId, documentId, kind: 'DOCUMENT_SHARED' })
      .exec();
  }

  /** Removes every notification about document `documentId` (it was deleted). */
  async forgetDocument(documentId: Types.ObjectId): Promise<void> {
    await this.stores.notifications.deleteMany({ documentId }).exec();
  }

  async forgetUser(userId: Types.ObjectId): Promise<void> {
    await this.stores.notifications.deleteMany({ recipientId: userId }).exec();
  }
}
