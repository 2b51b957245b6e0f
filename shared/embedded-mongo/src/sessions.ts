/**
 * The logical sessions this server has seen (the `lsid` of each command, as mongod's session
 * cache keeps them), for `$listLocalSessions`. Without authentication every session belongs to
 * the same (empty) user, whose `uid` is the SHA-256 of the empty string, as in mongod.
 */
import { createHash } from 'node:crypto';
import type { UUID } from 'bson';
import { Binary } from 'bson';
import { isPlainObject, type Document } from './bson/values';

const ANONYMOUS_UID = new Binary(createHash('sha256').update('').digest(), 0);

export class LocalSessions {
  private readonly sessions = new Map<string, { id: UUID | Binary; lastUse: Date }>();

  /** Records a command's `lsid` (ignored when absent or malformed). */
  touch(lsid: unknown): void {
    if (!isPlainObject(lsid)) return;
    const id = lsid.id;
    if (!(id instanceof Binary)) return;
    this.sessions.set(id.toString('hex'), { id, lastUse: new Date() });
  }

  /** Forgets the sessions `endSessions` names. */
  end(ids: unknown): void {
    if (!Array.isArray(ids)) return;
    for (const lsid of ids) {
      if (isPlainObject(lsid) && lsid.id instanceof Binary)
        this.sessions.delete(lsid.id.toString('hex'));
    }
  }

  /** The sessions as `$listLocalSessions` returns them. */
  list(): Document[] {
    return [...this.sessions.values()].map(({ id, lastUse }) => ({
      _id: { id, uid: ANONYMOUS_UID },
      lastUse,
    }));
  }
}
