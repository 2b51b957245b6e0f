/**
 * Durable storage of opaque byte strings: a base snapshot plus an append-only journal.
 *
 * Directory layout:
 * - `LOCK`: the pid of the process that has the directory open.
 * - `journal-<seq>.log`: journal segments (`seq` is 10 zero-padded digits), replayed in `seq` order.
 *   A segment is a plain run of records:
 *   `[u32 LE payload length][u32 LE crc32 of payload][u32 LE crc32 of the previous 8 bytes][payload]`.
 *   The header has its own checksum so a damaged length is detected instead of being trusted.
 * - `snapshot-<seq>.bson`: the newest base state; it covers every segment with a number <= `seq`.
 *   Layout: `[8-byte magic "EMSNAP\0\1"][u64 LE payload length][u32 LE crc32 of payload][payload]`.
 * - `snapshot-<seq>.bson.tmp`: a snapshot being written; never read, removed on open.
 *
 * Segments after the snapshot are always numbered contiguously from `snapshot seq + 1` (the writer
 * creates any segment it skipped as an empty file), so a missing segment is detected as corruption.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, realpath, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { types } from 'node:util';
import { crc32 } from 'node:zlib';

/** Structured logger the journal reports recovery, compaction and write failures to. */
export interface JournalLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options for {@link Journal.open}. */
export interface JournalOptions {
  /** Directory holding the snapshot and journal segments; created if missing. */
  dir: string;
  /**
   * Group-commit window in ms: appends arriving within it share one fsync. Default 2. 0 = fsync
   * each append immediately (still batching appends that arrive while an fsync is in flight, and
   * appends made in the same synchronous run of code). A negative or non-finite value makes
   * {@link Journal.open} reject with a RangeError.
   */
  groupCommitMs?: number;
  /** Receives recovery, compaction and failure reports. Default: reports are discarded. */
  logger?: JournalLogger;
}

/** What {@link Journal.open} found on disk, for the caller to replay. */
export interface Recovered {
  /** Bytes of the newest complete snapshot, or null when there is none. */
  snapshot: Uint8Array | null;
  /** Every entry appended after that snapshot, in append order. */
  entries: Uint8Array[];
}

const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
const RECORD_HEADER_BYTES = 12;
/** A segment is closed and the next one started once it would grow past this. */
const SEGMENT_ROTATE_BYTES = 64 * 1024 * 1024;
/** Appends are collected into buffers of about this size so a big batch is written in pieces. */
const GROUP_CHUNK_BYTES = 4 * 1024 * 1024;
const DEFAULT_GROUP_COMMIT_MS = 2;
const SNAPSHOT_MAGIC = Buffer.from('EMSNAP\u0000\u0001', 'latin1');
const SNAPSHOT_HEADER_BYTES = 20;
const LOCK_FILE = 'LOCK';
const SEGMENT_NAME = /^journal-(\d{10})\.log$/;
const SNAPSHOT_NAME = /^snapshot-(\d{10})\.bson$/;
const SNAPSHOT_TEMP_NAME = /^snapshot-(\d{10})\.bson\.tmp$/;
/** How often, 20 ms apart, an empty LOCK is re-read: its owner may be between creating and writing it. */
const EMPTY_LOCK_READS = 5;

const ignore = (): void => undefined;
const silentLogger: JournalLogger = { info: ignore, warn: ignore, error: ignore };

/**
 * Directories open in this process. Kept on the global object so that two copies of this module
 * loaded in one process still see each other's locks (both would otherwise read their own pid in
 * LOCK).
 */
const HELD_DIRS_KEY: unique symbol = Symbol.for('@psa/embedded-mongo/journal/held-dirs');

function heldDirs(): Set<string> {
  const registry = globalThis as typeof globalThis & { [HELD_DIRS_KEY]?: Set<string> };
  registry[HELD_DIRS_KEY] ??= new Set<string>();
  return registry[HELD_DIRS_KEY];
}

/** Appends waiting for the same write and fsync; they share one promise. */
interface PendingGroup {
  readonly seq: number;
  readonly frames: Buffer[];
  bytes: number;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface OpenSegment {
  readonly seq: number;
  readonly handle: FileHandle;
  size: number;
}

interface RecoveredState {
  readonly recovered: Recovered;
  readonly snapshotSeq: number;
  readonly activeSeq: number;
  readonly createdSeq: number;
  readonly segment: OpenSegment | undefined;
  readonly bytesBySeq: Map<number, number>;
}

/**
 * An append-only journal of opaque entries on top of a snapshot, with group commit. Single
 * writer: one process per directory (enforced by a lock file), and callers in that process call
 * it from one logical thread, relying on call order.
 */
export class Journal {
  /** Appends made now go to this segment. */
  private activeSeq: number;
  /** Newest snapshot known to be durable; segments numbered at or below it are obsolete. */
  private durableSnapshotSeq: number;
  /** `bytesSinceSnapshot` counts segments above this: the newest compaction requested. */
  private countedFromSeq: number;
  /** Highest segment number that exists as a file. */
  private createdSeq: number;
  private segment: OpenSegment | undefined;
  /** Record bytes per segment above the durable snapshot, for rotation and `bytesSinceSnapshot`. */
  private readonly bytesBySeq: Map<number, number>;
  private queue: PendingGroup[] = [];
  private draining = false;
  private drainScheduled = false;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Settles once every append made so far has been written or rejected. */
  private appendsSettled: Promise<void> = Promise.resolve();
  private compaction: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly groupCommitMs: number,
    private readonly logger: JournalLogger,
    state: RecoveredState,
  ) {
    this.activeSeq = state.activeSeq;
    this.durableSnapshotSeq = state.snapshotSeq;
    this.countedFromSeq = state.snapshotSeq;
    this.createdSeq = state.createdSeq;
    this.segment = state.segment;
    this.bytesBySeq = state.bytesBySeq;
  }

  /**
   * Opens (creating if needed) the directory, recovers, and returns the journal ready for appends
   * plus what to replay. A torn tail (partial record or checksum mismatch in the LAST segment's
   * final bytes, as after a crash mid-write) is truncated away and logged; corruption anywhere else
   * throws an Error naming the file and offset. Takes an exclusive lock (a `LOCK` file with the pid,
   * opened with 'wx'; a stale lock whose pid is not alive is taken over) so two processes cannot
   * share a directory: a live lock throws.
   *
   * Damage in the last segment counts as a torn tail only when no intact record follows it; if one
   * does, the damage is in the middle of the data and open throws. Consequently damage to the very
   * last record cannot be told apart from a torn write and is dropped (with a warning).
   *
   * Rejects (releasing the lock, leaving the files untouched apart from removed leftovers) on a
   * live lock, on corruption, on a missing segment, or on a file system error. Options default as
   * documented on {@link JournalOptions}.
   */
  static async open(options: JournalOptions): Promise<{ journal: Journal; recovered: Recovered }> {
    const groupCommitMs = options.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS;
    if (!Number.isFinite(groupCommitMs) || groupCommitMs < 0) {
      throw new RangeError(`groupCommitMs must be a finite number >= 0, got ${groupCommitMs}`);
    }
    const logger = options.logger ?? silentLogger;
    await mkdir(options.dir, { recursive: true });
    const dir = await realpath(options.dir);
    const held = heldDirs();
    if (held.has(dir)) throw new Error(`Journal directory ${dir} is already open in this process`);
    // Claimed before the lock file exists so that a concurrent open in this process sees it.
    held.add(dir);
    try {
      await acquireLock(dir);
    } catch (error) {
      held.delete(dir);
      throw error;
    }
    let state: RecoveredState;
    try {
      state = await recover(dir, logger);
    } catch (error) {
      held.delete(dir);
      await unlink(join(dir, LOCK_FILE)).catch(ignore);
      throw error;
    }
    const journal = new Journal(dir, groupCommitMs, logger, state);
    return { journal, recovered: state.recovered };
  }

  /**
   * Appends one entry. Resolves only once the entry is on disk (fsync'ed, group commit). Entries
   * are durable and replayed in the order append() was CALLED (the caller is single-threaded and
   * relies on call order, not resolution order). Rejects if the journal is closed or the write
   * fails; after a write/fsync failure the journal is poisoned: every later append rejects too
   * (never silently lose an acknowledged write).
   *
   * The bytes are copied before append returns, so the caller may reuse `entry` at once. Rejects
   * with a RangeError, without poisoning the journal, if `entry` is longer than 64 MiB.
   */
  append(entry: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.failure) return Promise.reject(this.poisonedError(this.failure));
    if (entry.byteLength > MAX_ENTRY_BYTES) {
      return Promise.reject(
        new RangeError(`Journal entry of ${entry.byteLength} bytes exceeds the 64 MiB limit`),
      );
    }
    const frame = encodeRecord(entry);
    let segmentBytes = this.bytesBySeq.get(this.activeSeq) ?? 0;
    if (segmentBytes > 0 && segmentBytes + frame.length > SEGMENT_ROTATE_BYTES) {
      this.activeSeq += 1;
      segmentBytes = 0;
    }
    this.bytesBySeq.set(this.activeSeq, segmentBytes + frame.length);

    let group = this.queue.at(-1);
    if (group === undefined || group.seq !== this.activeSeq || group.bytes >= GROUP_CHUNK_BYTES) {
      group = createGroup(this.activeSeq);
      this.queue.push(group);
      this.appendsSettled = group.done.then(ignore, ignore);
    }
    group.frames.push(frame);
    group.bytes += frame.length;
    this.scheduleDrain();
    return group.done;
  }

  /**
   * Bytes appended since the last snapshot (lets the caller decide when to compact). Counts record
   * headers too, from the moment append() is called; drops to 0 when compact() is called and
   * regains the uncovered bytes if that compaction fails.
   */
  get bytesSinceSnapshot(): number {
    let total = 0;
    for (const [seq, bytes] of this.bytesBySeq) {
      if (seq > this.countedFromSeq) total += bytes;
    }
    return total;
  }

  /**
   * Writes `snapshot` (the caller's whole state at the instant of this call, including everything
   * appended before the call) as the new base: entries appended before this call are no longer
   * replayed, entries appended after it are. Must be safe against a crash at any point (write temp
   * file, fsync, rename, fsync dir, then delete obsolete segments). Appends may continue while it
   * runs. Concurrent compact calls are serialized.
   *
   * The bytes are copied before compact returns. Resolves once the snapshot is durable (it first
   * waits for earlier appends to be written). Rejects if the journal is closed or poisoned, or if
   * writing the snapshot fails; a failed compaction leaves the previous snapshot and every segment
   * in place, so nothing is lost and the journal stays usable. Failing to delete obsolete files
   * is only logged: recovery ignores and removes them.
   */
  compact(snapshot: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.failure) return Promise.reject(this.poisonedError(this.failure));
    let file: Buffer;
    try {
      file = encodeSnapshot(snapshot);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    // The switch happens before any await so that the snapshot covers exactly the appends made
    // before this call.
    const seq = this.activeSeq;
    this.activeSeq = seq + 1;
    this.countedFromSeq = seq;
    const earlierAppends = this.appendsSettled;
    const run = this.compaction.then(() => this.writeSnapshot(seq, file, earlierAppends));
    this.compaction = run.then(ignore, ignore);
    return run;
  }

  /**
   * Flushes pending appends (they resolve), waits for compactions already requested, releases the
   * lock; idempotent (later calls return the same promise). Appends and compactions requested after
   * close() reject. Always releases the lock; rejects only if closing the segment file fails.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.drainScheduled) {
      clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
      this.drainScheduled = false;
      void this.drain();
    }
    await this.appendsSettled;
    await this.compaction;
    try {
      await this.segment?.handle.close();
    } finally {
      this.segment = undefined;
      await unlink(join(this.dir, LOCK_FILE)).catch(ignore);
      heldDirs().delete(this.dir);
    }
  }

  private scheduleDrain(): void {
    if (this.draining || this.drainScheduled) return;
    this.drainScheduled = true;
    const start = (): void => {
      if (!this.drainScheduled) return;
      this.drainScheduled = false;
      this.drainTimer = undefined;
      void this.drain();
    };
    if (this.groupCommitMs > 0) {
      this.drainTimer = setTimeout(start, this.groupCommitMs);
    } else {
      queueMicrotask(start);
    }
  }

  /** Writes queued groups, in order, until the queue is empty; appends made meanwhile join in. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const groups = this.queue;
        this.queue = [];
        await this.writeGroups(groups);
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeGroups(groups: readonly PendingGroup[]): Promise<void> {
    for (const run of splitBySegment(groups)) {
      if (this.failure === undefined) {
        try {
          await this.writeRun(run);
          for (const group of run) group.resolve();
          continue;
        } catch (error) {
          this.failure = toError(error);
          this.logger.error(
            { err: this.failure, dir: this.dir },
            'journal write failed; every later append will be rejected',
          );
        }
      }
      const rejection = this.poisonedError(this.failure);
      for (const group of run) group.reject(rejection);
    }
  }

  /** Writes groups that all belong to one segment, then fsyncs once. */
  private async writeRun(run: readonly PendingGroup[]): Promise<void> {
    const first = run[0];
    if (first === undefined) return;
    const segment = await this.segmentFor(first.seq);
    for (const group of run) {
      const [only] = group.frames;
      const buffer =
        group.frames.length === 1 && only ? only : Buffer.concat(group.frames, group.bytes);
      await writeFully(segment.handle, buffer, segment.size);
      segment.size += buffer.length;
    }
    await segment.handle.datasync();
  }

  private async segmentFor(seq: number): Promise<OpenSegment> {
    const current = this.segment;
    if (current?.seq === seq) return current;
    if (current) {
      this.segment = undefined;
      await current.handle.close();
    }
    // Skipped segments (a compaction with no appends after it) become empty files, durable before
    // the new segment exists, so that recovery can treat any gap as a lost file.
    const firstMissing = Math.max(this.createdSeq, this.durableSnapshotSeq) + 1;
    if (firstMissing < seq) {
      for (let missing = firstMissing; missing < seq; missing += 1) {
        const handle = await open(segmentPath(this.dir, missing), 'a');
        await handle.close();
      }
      await syncDirectory(this.dir);
    }
    const handle = await open(segmentPath(this.dir, seq), 'wx');
    this.createdSeq = Math.max(this.createdSeq, seq);
    try {
      await syncDirectory(this.dir);
    } catch (error) {
      await handle.close().catch(ignore);
      throw error;
    }
    this.segment = { seq, handle, size: 0 };
    return this.segment;
  }

  private async writeSnapshot(
    seq: number,
    file: Buffer,
    earlierAppends: Promise<void>,
  ): Promise<void> {
    const target = snapshotPath(this.dir, seq);
    const temp = `${target}.tmp`;
    try {
      await earlierAppends;
      if (this.failure) throw this.poisonedError(this.failure);
      await writeFileDurably(temp, file);
      await rename(temp, target);
      await syncDirectory(this.dir);
    } catch (error) {
      if (this.countedFromSeq === seq) this.countedFromSeq = this.durableSnapshotSeq;
      await unlink(temp).catch(ignore);
      throw error;
    }
    this.durableSnapshotSeq = Math.max(this.durableSnapshotSeq, seq);
    for (const counted of this.bytesBySeq.keys()) {
      if (counted <= seq) this.bytesBySeq.delete(counted);
    }
    await this.removeObsolete(seq);
    this.logger.info({ dir: this.dir, snapshotSeq: seq, bytes: file.length }, 'journal compacted');
  }

  private async removeObsolete(snapshotSeq: number): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      this.logger.warn({ err: error, dir: this.dir }, 'could not list obsolete journal files');
      return;
    }
    for (const name of names) {
      if (!isObsolete(name, snapshotSeq)) continue;
      try {
        await unlink(join(this.dir, name));
      } catch (error) {
        this.logger.warn(
          { err: error, file: join(this.dir, name) },
          'could not delete obsolete file',
        );
      }
    }
  }

  private closedError(): Error {
    return new Error(`Journal ${this.dir} is closed`);
  }

  private poisonedError(cause: Error): Error {
    return new Error(`Journal ${this.dir} is unusable after a failed write: ${cause.message}`, {
      cause,
    });
  }
}

function createGroup(seq: number): PendingGroup {
  let resolve: () => void = ignore;
  let reject: (error: Error) => void = ignore;
  const done = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { seq, frames: [], bytes: 0, done, resolve, reject };
}

function splitBySegment(groups: readonly PendingGroup[]): PendingGroup[][] {
  const runs: PendingGroup[][] = [];
  let run: PendingGroup[] = [];
  for (const group of groups) {
    if (run.length > 0 && run[0]?.seq !== group.seq) {
      runs.push(run);
      run = [];
    }
    run.push(group);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function encodeRecord(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32LE(payload.byteLength, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.writeUInt32LE(crc32(frame.subarray(0, 8)), 8);
  frame.set(payload, RECORD_HEADER_BYTES);
  return frame;
}

/** Length of the intact record at `offset`, or undefined when there is none there. */
function intactRecordLength(bytes: Buffer, offset: number): number | undefined {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return undefined;
  const length = bytes.readUInt32LE(offset);
  const end = offset + RECORD_HEADER_BYTES + length;
  if (length > MAX_ENTRY_BYTES || end > bytes.length) return undefined;
  if (crc32(bytes.subarray(offset, offset + 8)) !== bytes.readUInt32LE(offset + 8))
    return undefined;
  if (crc32(bytes.subarray(offset + RECORD_HEADER_BYTES, end)) !== bytes.readUInt32LE(offset + 4)) {
    return undefined;
  }
  return length;
}

function describeDamage(bytes: Buffer, offset: number): string {
  if (bytes.length - offset < RECORD_HEADER_BYTES) return 'incomplete record header';
  if (crc32(bytes.subarray(offset, offset + 8)) !== bytes.readUInt32LE(offset + 8)) {
    return 'record header checksum mismatch';
  }
  const length = bytes.readUInt32LE(offset);
  if (length > MAX_ENTRY_BYTES) return `record length ${length} exceeds the 64 MiB limit`;
  if (offset + RECORD_HEADER_BYTES + length > bytes.length) {
    return 'record extends past the end of the file';
  }
  return 'record checksum mismatch';
}

/** Whether an intact record starts anywhere after `offset`: then damage at `offset` is not a tail. */
function hasIntactRecordAfter(bytes: Buffer, offset: number): boolean {
  for (
    let candidate = offset + 1;
    candidate + RECORD_HEADER_BYTES <= bytes.length;
    candidate += 1
  ) {
    if (intactRecordLength(bytes, candidate) !== undefined) return true;
  }
  return false;
}

interface SegmentScan {
  readonly entries: Uint8Array[];
  /** Bytes of intact records from the start of the segment. */
  readonly intactBytes: number;
}

function scanSegment(bytes: Buffer): SegmentScan {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = intactRecordLength(bytes, offset);
    if (length === undefined) break;
    const start = offset + RECORD_HEADER_BYTES;
    entries.push(bytes.subarray(start, start + length));
    offset = start + length;
  }
  return { entries, intactBytes: offset };
}

function encodeSnapshot(snapshot: Uint8Array): Buffer {
  const file = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + snapshot.byteLength);
  SNAPSHOT_MAGIC.copy(file, 0);
  file.writeBigUInt64LE(BigInt(snapshot.byteLength), 8);
  file.writeUInt32LE(crc32(snapshot), 16);
  file.set(snapshot, SNAPSHOT_HEADER_BYTES);
  return file;
}

function decodeSnapshot(file: Buffer, filePath: string): Uint8Array {
  const corrupt = (reason: string): Error =>
    new Error(`Snapshot ${filePath} is corrupt: ${reason}`);
  if (file.length < SNAPSHOT_HEADER_BYTES || !file.subarray(0, 8).equals(SNAPSHOT_MAGIC)) {
    throw corrupt('bad header at offset 0');
  }
  const length = file.readBigUInt64LE(8);
  if (length !== BigInt(file.length - SNAPSHOT_HEADER_BYTES)) {
    throw corrupt(`header says ${length} bytes, file holds ${file.length - SNAPSHOT_HEADER_BYTES}`);
  }
  const payload = file.subarray(SNAPSHOT_HEADER_BYTES);
  if (crc32(payload) !== file.readUInt32LE(16)) {
    throw corrupt(`checksum mismatch in payload at offset ${SNAPSHOT_HEADER_BYTES}`);
  }
  return payload;
}

function segmentPath(dir: string, seq: number): string {
  return join(dir, `journal-${String(seq).padStart(10, '0')}.log`);
}

function snapshotPath(dir: string, seq: number): string {
  return join(dir, `snapshot-${String(seq).padStart(10, '0')}.bson`);
}

function parseSeq(pattern: RegExp, name: string): number | undefined {
  const digits = pattern.exec(name)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

function isObsolete(name: string, snapshotSeq: number): boolean {
  const segmentSeq = parseSeq(SEGMENT_NAME, name);
  if (segmentSeq !== undefined) return segmentSeq <= snapshotSeq;
  const seq = parseSeq(SNAPSHOT_NAME, name) ?? parseSeq(SNAPSHOT_TEMP_NAME, name);
  return seq !== undefined && seq < snapshotSeq;
}

async function recover(dir: string, logger: JournalLogger): Promise<RecoveredState> {
  const names = await readdir(dir);
  const segmentSeqs: number[] = [];
  let newestSnapshotSeq: number | undefined;
  for (const name of names) {
    const segmentSeq = parseSeq(SEGMENT_NAME, name);
    if (segmentSeq !== undefined) segmentSeqs.push(segmentSeq);
    const seq = parseSeq(SNAPSHOT_NAME, name);
    if (seq !== undefined) newestSnapshotSeq = Math.max(newestSnapshotSeq ?? 0, seq);
  }

  let snapshot: Uint8Array | null = null;
  if (newestSnapshotSeq !== undefined) {
    const file = snapshotPath(dir, newestSnapshotSeq);
    snapshot = decodeSnapshot(await readFile(file), file);
  }
  const snapshotSeq = newestSnapshotSeq ?? 0;

  for (const name of names) {
    const file = join(dir, name);
    if (SNAPSHOT_TEMP_NAME.test(name)) {
      await unlink(file);
      logger.info({ file }, 'removed an incomplete snapshot left by an interrupted compaction');
    } else if (isObsolete(name, snapshotSeq)) {
      await unlink(file);
    }
  }

  const liveSeqs = segmentSeqs.filter((seq) => seq > snapshotSeq).sort((a, b) => a - b);
  for (const [index, seq] of liveSeqs.entries()) {
    const expected = snapshotSeq + 1 + index;
    if (seq !== expected) {
      throw new Error(
        `Journal segment ${segmentPath(dir, expected)} is missing (found ${segmentPath(dir, seq)})`,
      );
    }
  }

  const entries: Uint8Array[] = [];
  const bytesBySeq = new Map<number, number>();
  let segment: OpenSegment | undefined;
  for (const [index, seq] of liveSeqs.entries()) {
    const file = segmentPath(dir, seq);
    const isLast = index === liveSeqs.length - 1;
    let bytes: Buffer;
    let handle: FileHandle | undefined;
    if (isLast) {
      handle = await open(file, 'r+');
      bytes = await handle.readFile();
    } else {
      bytes = await readFile(file);
    }
    try {
      const scan = scanSegment(bytes);
      if (scan.intactBytes < bytes.length) {
        const offset = scan.intactBytes;
        const damage = describeDamage(bytes, offset);
        if (handle === undefined || hasIntactRecordAfter(bytes, offset)) {
          throw new Error(`Journal segment ${file} is corrupt at offset ${offset}: ${damage}`);
        }
        await handle.truncate(offset);
        await handle.sync();
        logger.warn(
          { file, offset, droppedBytes: bytes.length - offset, damage },
          'truncated a torn tail left by an interrupted write',
        );
      }
      for (const entry of scan.entries) entries.push(entry);
      bytesBySeq.set(seq, scan.intactBytes);
      if (handle !== undefined) segment = { seq, handle, size: scan.intactBytes };
    } catch (error) {
      await handle?.close().catch(ignore);
      throw error;
    }
  }

  const lastSeq = liveSeqs.at(-1);
  logger.info(
    { dir, snapshotSeq, segments: liveSeqs.length, entries: entries.length },
    'journal recovered',
  );
  return {
    recovered: { snapshot, entries },
    snapshotSeq,
    activeSeq: lastSeq ?? snapshotSeq + 1,
    createdSeq: lastSeq ?? snapshotSeq,
    segment,
    bytesBySeq,
  };
}

type LockState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'live'; readonly pid: number }
  | { readonly kind: 'stale'; readonly content: string };

/** Creates LOCK exclusively, taking over a lock whose owner is gone. */
async function acquireLock(dir: string): Promise<void> {
  const lockPath = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    let handle: FileHandle;
    try {
      handle = await open(lockPath, 'wx');
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error;
      const state = await inspectLock(lockPath);
      if (state.kind === 'live') {
        throw new Error(`Journal directory ${dir} is locked by running process ${state.pid}`);
      }
      if (state.kind === 'stale') await takeOverLock(lockPath, state.content);
      continue;
    }
    try {
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
    } catch (error) {
      await handle.close().catch(ignore);
      await unlink(lockPath).catch(ignore);
      throw error;
    }
    return;
  }
  throw new Error(`Could not take ${lockPath}: other processes keep replacing it`);
}

async function inspectLock(lockPath: string): Promise<LockState> {
  let content = '';
  for (let read = 0; read < EMPTY_LOCK_READS; read += 1) {
    try {
      content = await readFile(lockPath, 'utf8');
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return { kind: 'missing' };
      throw error;
    }
    if (content !== '') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pid = /^\d{1,10}\n?$/.test(content) ? Number.parseInt(content, 10) : 0;
  // Our own pid here belongs to an earlier process (say, before a container restart): this
  // process checked it does not hold the directory before trying to lock it.
  if (pid > 0 && pid < 2 ** 31 && pid !== process.pid && isProcessAlive(pid)) {
    return { kind: 'live', pid };
  }
  return { kind: 'stale', content };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return hasCode(error, 'EPERM');
  }
}

/**
 * Removes a stale LOCK by renaming it to a name only this process uses, so that of several
 * processes taking over the same stale lock exactly one removes it; if what was renamed turns out
 * to be a fresh lock another process wrote in the meantime, it is put back.
 */
async function takeOverLock(lockPath: string, staleContent: string): Promise<void> {
  const claim = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lockPath, claim);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw error;
  }
  const claimed = await readFile(claim, 'utf8').catch(() => staleContent);
  if (claimed !== staleContent) await link(claim, lockPath).catch(ignore);
  await unlink(claim);
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(
      buffer,
      written,
      buffer.length - written,
      position + written,
    );
    if (bytesWritten === 0) throw new Error('File system accepted no bytes for a journal write');
    written += bytesWritten;
  }
}

async function writeFileDurably(filePath: string, data: Buffer): Promise<void> {
  const handle = await open(filePath, 'w');
  try {
    await writeFully(handle, data, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes created, renamed and removed directory entries durable. */
async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals its metadata itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory; their entries are durable without it.
    if (!hasCode(error, 'EINVAL') && !hasCode(error, 'ENOTSUP')) throw error;
  } finally {
    await handle.close();
  }
}

/** Errors from Node's fs come from another realm under jest's vm, so no instanceof here. */
function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function toError(error: unknown): Error {
  return types.isNativeError(error) ? error : new Error(String(error));
}
