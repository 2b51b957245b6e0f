import { calculateObjectSize, Long } from 'bson';
import { randomBytes } from 'node:crypto';
import type { Document } from './bson/values';
import { ErrorCode, fail } from './errors';
import { MAX_BSON_OBJECT_SIZE } from './storage/document-rules';

/** A result document with its BSON size, when known, so batches can be cut at 16 MiB. */
export interface ResultItem {
  doc: Document;
  size?: number;
}

interface OpenCursor {
  id: Long;
  ns: string;
  items: ResultItem[];
  position: number;
  lastUsed: number;
}

/** The number of documents in a find's first batch when the client sets no batchSize. */
export const DEFAULT_FIRST_BATCH = 101;
// Room for the reply envelope around a batch.
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 16 * 1024;

/**
 * Open server cursors. Results are materialized when the query runs (records are immutable, so
 * this is a snapshot); getMore hands them out in batches; idle cursors expire.
 */
export class CursorRegistry {
  private readonly cursors = new Map<string, OpenCursor>();
  private readonly idleTimeoutMs: number;

  /** @param idleTimeoutMs idle cursors are closed after this long (mongod's default: 10 minutes). */
  constructor(idleTimeoutMs = 10 * 60 * 1000) {
    this.idleTimeoutMs = idleTimeoutMs;
  }

  get size(): number {
    return this.cursors.size;
  }

  /** The first batch of a result as a command reply, opening a cursor if more remains. */
  open(
    ns: string,
    items: ResultItem[],
    batchSize: number | undefined,
    singleBatch = false,
  ): Document {
    // batchSize 0 opens the cursor with an empty first batch, as mongod does.
    const size = batchSize ?? DEFAULT_FIRST_BATCH;
    const batch = size === 0 ? [] : takeBatch(items, 0, size);
    let id = Long.ZERO;
    if (!singleBatch && batch.length < items.length) {
      id = newCursorId();
      this.cursors.set(id.toString(), {
        id,
        ns,
        items,
        position: batch.length,
        lastUsed: Date.now(),
      });
    }
    return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): Document {
    const cursor = this.cursors.get(id.toString());
    if (!cursor) fail(ErrorCode.CursorNotFound, `cursor id ${id.toString()} not found`);
    if (cursor.ns !== ns) {
      fail(
        ErrorCode.Unauthorized,
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    const batch = takeBatch(cursor.items, cursor.position, batchSize ?? Infinity);
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    let replyId = cursor.id;
    if (cursor.position >= cursor.items.length) {
      this.cursors.delete(id.toString());
      replyId = Long.ZERO;
    }
    return { cursor: { nextBatch: batch, id: replyId, ns }, ok: 1 };
  }

  kill(ids: Long[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    return {
      cursorsKilled: killed,
      cursorsNotFound: notFound,
      cursorsAlive: [],
      cursorsUnknown: [],
      ok: 1,
    };
  }

  /** Closes cursors idle for longer than the timeout. */
  expireIdle(now = Date.now()): void {
    for (const [key, cursor] of this.cursors) {
      if (now - cursor.lastUsed > this.idleTimeoutMs) this.cursors.delete(key);
    }
  }

  clear(): void {
    this.cursors.clear();
  }
}

function takeBatch(items: ResultItem[], start: number, batchSize: number): Document[] {
  const limit = batchSize <= 0 ? Infinity : batchSize;
  const batch: Document[] = [];
  let bytes = 0;
  for (let i = start; i < items.length && batch.length < limit; i++) {
    const item = items[i] as ResultItem;
    const size = item.size ?? calculateObjectSize(item.doc);
    if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    batch.push(item.doc);
  }
  return batch;
}

function newCursorId(): Long {
  // Positive 63-bit ids: drivers treat the id as Int64, and 0 means "exhausted".
  const bytes = randomBytes(8);
  bytes[7] = (bytes[7] as number) & 0x7f;
  const id = Long.fromBytesLE([...bytes]);
  return id.isZero() ? Long.ONE : id;
}
