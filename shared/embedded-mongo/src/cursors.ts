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
  source: BatchSource;
  lastUsed: number;
}

/** The number of documents in a find's first batch when the client sets no batchSize. */
export const DEFAULT_FIRST_BATCH = 101;
// Room for the reply envelope around a batch.
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 16 * 1024;

/**
 * Pulls results from an iterator batch by batch, one item ahead: the item that would overflow a
 * batch's bytes waits for the next one, and knowing whether one more exists tells a cursor that
 * is exhausted (id 0) from one that is not.
 */
class BatchSource {
  private readonly iterator: Iterator<ResultItem>;
  private pending: ResultItem | undefined;

  constructor(items: Iterable<ResultItem>) {
    this.iterator = items[Symbol.iterator]();
    this.pending = this.pull();
  }

  get exhausted(): boolean {
    return this.pending === undefined;
  }

  private pull(): ResultItem | undefined {
    const next = this.iterator.next();
    return next.done ? undefined : next.value;
  }

  take(batchSize: number): Document[] {
    const limit = batchSize <= 0 ? Infinity : batchSize;
    const batch: Document[] = [];
    let bytes = 0;
    while (this.pending && batch.length < limit) {
      const size = this.pending.size ?? calculateObjectSize(this.pending.doc);
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      batch.push(this.pending.doc);
      this.pending = this.pull();
    }
    return batch;
  }

  close(): void {
    this.pending = undefined;
    this.iterator.return?.();
  }
}

/**
 * Open server cursors. A result is an iterator that the cursor pulls as batches are asked for
 * (find and most pipelines produce documents lazily, so a large result is never held whole);
 * getMore hands out the next batch; idle cursors expire.
 */
export class CursorRegistry {
  private readonly cursors = new Map<string, OpenCursor>();
  private idleTimeoutMs: number;

  /** @param idleTimeoutMs idle cursors are closed after this long (mongod's default: 10 minutes). */
  constructor(idleTimeoutMs = 10 * 60 * 1000) {
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** Changes the idle timeout (setParameter cursorTimeoutMillis). */
  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
  }

  get size(): number {
    return this.cursors.size;
  }

  /**
   * The first batch of a result as a command reply, opening a cursor if more remains. The
   * iterator's errors surface from here or from a later getMore, as mongod's do.
   */
  open(
    ns: string,
    items: Iterable<ResultItem>,
    batchSize: number | undefined,
    singleBatch = false,
  ): Document {
    const source = new BatchSource(items);
    // batchSize 0 opens the cursor with an empty first batch, as mongod does.
    const size = batchSize ?? DEFAULT_FIRST_BATCH;
    const batch = size === 0 ? [] : source.take(size);
    let id = Long.ZERO;
    if (!singleBatch && !source.exhausted) {
      id = newCursorId();
      this.cursors.set(id.toString(), { id, ns, source, lastUsed: Date.now() });
    } else source.close();
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
    let batch: Document[];
    try {
      batch = cursor.source.take(batchSize ?? Infinity);
    } catch (error) {
      // A cursor whose query failed is dead, as in mongod.
      this.cursors.delete(id.toString());
      throw error;
    }
    cursor.lastUsed = Date.now();
    let replyId = cursor.id;
    if (cursor.source.exhausted) {
      this.cursors.delete(id.toString());
      replyId = Long.ZERO;
    }
    return { cursor: { nextBatch: batch, id: replyId, ns }, ok: 1 };
  }

  kill(ids: Long[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) {
      const cursor = this.cursors.get(id.toString());
      cursor?.source.close();
      (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    }
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
      if (now - cursor.lastUsed > this.idleTimeoutMs) {
        cursor.source.close();
        this.cursors.delete(key);
      }
    }
  }

  clear(): void {
    for (const cursor of this.cursors.values()) cursor.source.close();
    this.cursors.clear();
  }
}

function newCursorId(): Long {
  // Positive 63-bit ids: drivers treat the id as Int64, and 0 means "exhausted".
  const bytes = randomBytes(8);
  bytes[7] = (bytes[7] as number) & 0x7f;
  const id = Long.fromBytesLE([...bytes]);
  return id.isZero() ? Long.ONE : id;
}
