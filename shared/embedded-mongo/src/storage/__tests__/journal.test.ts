import { spawn } from 'node:child_process';
import { promises as fsPromises } from 'node:fs';
import {
  copyFile,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Journal } from '../journal';
import type { JournalLogger, JournalOptions, Recovered } from '../journal';

const SEGMENT_1 = 'journal-0000000001.log';
const SEGMENT_2 = 'journal-0000000002.log';
const RECORD_HEADER_BYTES = 12;

interface LogRecord {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

let dir: string;
let openJournals: Journal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-test-'));
});

afterEach(async () => {
  await Promise.all(openJournals.map((journal) => journal.close()));
  openJournals = [];
  await rm(dir, { recursive: true, force: true });
});

async function openJournal(
  options: Partial<JournalOptions> = {},
): Promise<{ journal: Journal; recovered: Recovered }> {
  const opened = await Journal.open({ dir, ...options });
  openJournals.push(opened.journal);
  return opened;
}

async function reopen(options: Partial<JournalOptions> = {}): Promise<Recovered> {
  const { journal, recovered } = await openJournal(options);
  await journal.close();
  return recovered;
}

/** Deterministic entry `index`, 0 to ~1 KiB long, so every size class and the empty entry occur. */
function entry(index: number): Buffer {
  const bytes = Buffer.alloc((index * 37) % 1021);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (index * 31 + i) & 0xff;
  return bytes;
}

function hex(entries: readonly Uint8Array[]): string[] {
  return entries.map((bytes) => Buffer.from(bytes).toString('hex'));
}

function texts(entries: readonly Uint8Array[]): string[] {
  return entries.map((bytes) => Buffer.from(bytes).toString('utf8'));
}

function recordingLogger(): { logger: JournalLogger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger: JournalLogger = {
    info: (obj, msg) => records.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => records.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => records.push({ level: 'error', obj, msg }),
  };
  return { logger, records };
}

async function appendTexts(journal: Journal, values: readonly string[]): Promise<void> {
  await Promise.all(values.map((value) => journal.append(Buffer.from(value))));
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes.writeUInt8((bytes[offset] ?? 0) ^ 0xff, offset);
  await writeFile(file, bytes);
}

/** Offset of the payload of record `index` in a segment holding `entries` from its start. */
function payloadOffset(entries: readonly Uint8Array[], index: number): number {
  let offset = 0;
  for (const bytes of entries.slice(0, index)) offset += RECORD_HEADER_BYTES + bytes.length;
  return offset + RECORD_HEADER_BYTES;
}

describe('Journal', () => {
  it('replays 1,000 entries of varying sizes byte-exactly and in call order after reopening', async () => {
    const expected = Array.from({ length: 1000 }, (_, index) => entry(index));
    expected[500] = Buffer.alloc(300_000, 7);
    const { journal, recovered } = await openJournal({ groupCommitMs: 0 });
    expect(recovered).toEqual({ snapshot: null, entries: [] });
    for (const bytes of expected) await journal.append(bytes);
    await journal.close();

    const replayed = await reopen();
    expect(replayed.snapshot).toBeNull();
    expect(hex(replayed.entries)).toEqual(hex(expected));
  });

  it('keeps appending to the recovered journal after a reopen', async () => {
    const first = await openJournal();
    await appendTexts(first.journal, ['a', 'b']);
    await first.journal.close();

    const second = await openJournal();
    expect(texts(second.recovered.entries)).toEqual(['a', 'b']);
    await appendTexts(second.journal, ['c']);
    await second.journal.close();

    expect(texts((await reopen()).entries)).toEqual(['a', 'b', 'c']);
  });

  it('resolves 10,000 appends fired without awaiting and recovers them in call order', async () => {
    const expected = Array.from({ length: 10_000 }, (_, index) => entry(index));
    const { journal } = await openJournal();
    const acks = expected.map((bytes) => journal.append(bytes));
    await expect(Promise.all(acks)).resolves.toHaveLength(10_000);
    await journal.close();

    expect(hex((await reopen()).entries)).toEqual(hex(expected));
  });

  it('starts a new segment past 64 MiB and replays across segments', async () => {
    const expected = Array.from({ length: 17 }, (_, index) => Buffer.alloc(4 * 1024 * 1024, index));
    const { journal } = await openJournal();
    await Promise.all(expected.map((bytes) => journal.append(bytes)));
    await journal.close();

    expect((await readdir(dir)).sort()).toEqual([SEGMENT_1, SEGMENT_2]);
    const { entries } = await reopen();
    expect(entries.map((bytes, index) => expected[index]?.equals(bytes))).toEqual(
      expected.map(() => true),
    );
  });

  it('copies appended bytes, so the caller may reuse its buffer at once', async () => {
    const { journal } = await openJournal();
    const buffer = Buffer.from('first');
    const ack = journal.append(buffer);
    buffer.write('later');
    await ack;
    await journal.close();

    expect(texts((await reopen()).entries)).toEqual(['first']);
  });

  it('flushes pending appends on close and rejects appends and compactions after it', async () => {
    const { journal } = await openJournal({ groupCommitMs: 1000 });
    const pending = journal.append(Buffer.from('pending'));
    const closing = journal.close();
    await expect(journal.append(Buffer.from('late'))).rejects.toThrow(/closed/);
    await expect(journal.compact(Buffer.from('state'))).rejects.toThrow(/closed/);
    await expect(pending).resolves.toBeUndefined();
    await closing;
    await expect(journal.close()).resolves.toBeUndefined();

    expect(texts((await reopen()).entries)).toEqual(['pending']);
  });

  it('rejects an entry over 64 MiB with a RangeError and stays usable', async () => {
    const { journal } = await openJournal();
    await expect(journal.append(new Uint8Array(64 * 1024 * 1024 + 1))).rejects.toThrow(RangeError);
    await journal.append(Buffer.from('small'));
    await journal.close();

    expect(texts((await reopen()).entries)).toEqual(['small']);
  });

  describe('compact', () => {
    it('returns the snapshot and only the entries appended after it', async () => {
      const { journal } = await openJournal();
      await appendTexts(journal, ['a', 'b', 'c']);
      await journal.compact(Buffer.from('state:abc'));
      await appendTexts(journal, ['d', 'e']);
      await journal.close();

      const recovered = await reopen();
      expect(Buffer.from(recovered.snapshot ?? []).toString()).toBe('state:abc');
      expect(texts(recovered.entries)).toEqual(['d', 'e']);
      expect((await readdir(dir)).sort()).toEqual([SEGMENT_2, 'snapshot-0000000001.bson']);
    });

    it('covers exactly the appends made before the call while appends continue', async () => {
      const { journal } = await openJournal();
      const before = Array.from({ length: 500 }, (_, index) => `before-${index}`);
      const after = Array.from({ length: 500 }, (_, index) => `after-${index}`);
      const acksBefore = before.map((value) => journal.append(Buffer.from(value)));
      const compaction = journal.compact(Buffer.from('state-before'));
      const acksAfter = after.map((value) => journal.append(Buffer.from(value)));
      await Promise.all([...acksBefore, compaction, ...acksAfter]);
      await journal.close();

      const recovered = await reopen();
      expect(Buffer.from(recovered.snapshot ?? []).toString()).toBe('state-before');
      expect(texts(recovered.entries)).toEqual(after);
    });

    it('serializes concurrent compactions so that the newest snapshot wins', async () => {
      const { journal } = await openJournal();
      const work = [
        journal.append(Buffer.from('x')),
        journal.compact(Buffer.from('state-1')),
        journal.append(Buffer.from('y')),
        journal.compact(Buffer.from('state-2')),
        journal.compact(Buffer.from('state-3')),
        journal.append(Buffer.from('z')),
      ];
      await Promise.all(work);
      await journal.close();

      const recovered = await reopen();
      expect(Buffer.from(recovered.snapshot ?? []).toString()).toBe('state-3');
      expect(texts(recovered.entries)).toEqual(['z']);
      expect((await readdir(dir)).filter((name) => name.startsWith('snapshot-'))).toEqual([
        'snapshot-0000000003.bson',
      ]);
    });

    it('leaves the journal intact and usable when a compaction fails', async () => {
      const { journal } = await openJournal();
      await appendTexts(journal, ['a']);
      const rename = jest
        .spyOn(fsPromises, 'rename')
        .mockRejectedValueOnce(
          Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }),
        );
      try {
        await expect(journal.compact(Buffer.from('state'))).rejects.toThrow(/ENOSPC/);
      } finally {
        rename.mockRestore();
      }
      expect(journal.bytesSinceSnapshot).toBe(RECORD_HEADER_BYTES + 1);
      await appendTexts(journal, ['b']);
      await journal.close();

      expect(texts((await reopen()).entries)).toEqual(['a', 'b']);
      expect((await readdir(dir)).sort()).toEqual([SEGMENT_1, SEGMENT_2]);
    });

    it('creates the segment a failed compaction skipped, so recovery sees no gap', async () => {
      const { journal } = await openJournal();
      const rename = jest
        .spyOn(fsPromises, 'rename')
        .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      try {
        await expect(journal.compact(Buffer.from('state'))).rejects.toThrow(/EIO/);
      } finally {
        rename.mockRestore();
      }
      await appendTexts(journal, ['a']);
      await journal.close();

      expect(texts((await reopen()).entries)).toEqual(['a']);
      expect((await stat(join(dir, SEGMENT_1))).size).toBe(0);
    });

    it('recovers an empty snapshot and no entries', async () => {
      const { journal } = await openJournal();
      await appendTexts(journal, ['a']);
      await journal.compact(new Uint8Array(0));
      await journal.close();

      const recovered = await reopen();
      expect(recovered.entries).toEqual([]);
      expect(recovered.snapshot).not.toBeNull();
      expect(recovered.snapshot?.byteLength).toBe(0);
    });

    it('counts bytesSinceSnapshot from the last compaction, including after a reopen', async () => {
      const { journal } = await openJournal();
      expect(journal.bytesSinceSnapshot).toBe(0);
      void journal.append(Buffer.from('12345'));
      expect(journal.bytesSinceSnapshot).toBe(RECORD_HEADER_BYTES + 5);
      const compaction = journal.compact(Buffer.from('state'));
      expect(journal.bytesSinceSnapshot).toBe(0);
      await compaction;
      await journal.append(Buffer.from('123'));
      expect(journal.bytesSinceSnapshot).toBe(RECORD_HEADER_BYTES + 3);
      await journal.close();

      const reopened = await openJournal();
      expect(reopened.journal.bytesSinceSnapshot).toBe(RECORD_HEADER_BYTES + 3);
    });

    it('ignores and removes a temporary snapshot left by a crash mid-compaction', async () => {
      const { journal } = await openJournal();
      await appendTexts(journal, ['a']);
      await journal.compact(Buffer.from('state-1'));
      await appendTexts(journal, ['b']);
      await journal.close();
      const half = (await readFile(join(dir, 'snapshot-0000000001.bson'))).subarray(0, 10);
      await writeFile(join(dir, 'snapshot-0000000002.bson.tmp'), half);

      const { logger, records } = recordingLogger();
      const recovered = await reopen({ logger });
      expect(Buffer.from(recovered.snapshot ?? []).toString()).toBe('state-1');
      expect(texts(recovered.entries)).toEqual(['b']);
      expect(await readdir(dir)).not.toContain('snapshot-0000000002.bson.tmp');
      expect(records).toContainEqual(
        expect.objectContaining({
          level: 'info',
          obj: { file: join(dir, 'snapshot-0000000002.bson.tmp') },
        }),
      );
    });

    it('refuses to open over a corrupt snapshot, naming the file', async () => {
      const { journal } = await openJournal();
      await journal.compact(Buffer.from('some state'));
      await journal.close();
      await flipByte(join(dir, 'snapshot-0000000001.bson'), 22);

      await expect(Journal.open({ dir })).rejects.toThrow(/snapshot-0000000001\.bson.*corrupt/);
    });
  });

  describe('crash safety', () => {
    async function writeSegment(values: readonly string[]): Promise<Buffer[]> {
      const { journal } = await openJournal();
      await appendTexts(journal, values);
      await journal.close();
      return values.map((value) => Buffer.from(value));
    }

    const twenty = Array.from({ length: 20 }, (_, index) => `entry-${index}`);

    it.each([
      ['in the middle of the last payload', 3],
      ['in the middle of the last header', 8 + 'entry-19'.length],
    ])('truncates a tail torn %s, keeps what precedes it and appends after it', async (_, cut) => {
      await writeSegment(twenty);
      const segment = join(dir, SEGMENT_1);
      const intactSize = (await stat(segment)).size - RECORD_HEADER_BYTES - 'entry-19'.length;
      await truncate(segment, (await stat(segment)).size - cut);

      const { logger, records } = recordingLogger();
      const { journal, recovered } = await openJournal({ logger });
      expect(texts(recovered.entries)).toEqual(twenty.slice(0, 19));
      expect((await stat(segment)).size).toBe(intactSize);
      expect(records).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          obj: expect.objectContaining({ file: segment, offset: intactSize }),
        }),
      );
      await appendTexts(journal, ['after']);
      await journal.close();

      expect(texts((await reopen()).entries)).toEqual([...twenty.slice(0, 19), 'after']);
    });

    it('treats a checksum mismatch in the final record as a torn tail', async () => {
      await writeSegment(twenty);
      const segment = join(dir, SEGMENT_1);
      await flipByte(segment, (await stat(segment)).size - 1);

      expect(texts((await reopen()).entries)).toEqual(twenty.slice(0, 19));
    });

    it('truncates a zero-filled tail, as left when the size was persisted but the data was not', async () => {
      await writeSegment(twenty);
      const segment = join(dir, SEGMENT_1);
      await writeFile(segment, Buffer.alloc(4096), { flag: 'a' });

      expect(texts((await reopen()).entries)).toEqual(twenty);
    });

    it('refuses to open when a record in the middle of the last segment is corrupt', async () => {
      const entries = await writeSegment(twenty);
      await flipByte(join(dir, SEGMENT_1), payloadOffset(entries, 10) + 2);

      await expect(Journal.open({ dir })).rejects.toThrow(
        new RegExp(
          `${SEGMENT_1.replace('.', '\\.')} is corrupt at offset ${payloadOffset(entries, 10) - RECORD_HEADER_BYTES}`,
        ),
      );
      // The failed open released its lock: the error stays the corruption, not a lock conflict.
      await expect(Journal.open({ dir })).rejects.toThrow(/is corrupt/);
    });

    it('refuses to open when a record length in the middle of the last segment is corrupt', async () => {
      const entries = await writeSegment(twenty);
      await flipByte(join(dir, SEGMENT_1), payloadOffset(entries, 10) - RECORD_HEADER_BYTES);

      await expect(Journal.open({ dir })).rejects.toThrow(/journal-0000000001\.log is corrupt/);
    });

    describe('with two segments', () => {
      // Segments only multiply through compaction (which deletes the old ones) or rotation at
      // 64 MiB, so the second segment is a copy of the first: segments carry no numbering inside.
      async function writeTwoSegments(): Promise<Buffer[]> {
        const entries = await writeSegment(twenty);
        await copyFile(join(dir, SEGMENT_1), join(dir, SEGMENT_2));
        return entries;
      }

      it('replays the segments in order', async () => {
        await writeTwoSegments();

        expect(texts((await reopen()).entries)).toEqual([...twenty, ...twenty]);
      });

      it('refuses to open when a byte in the middle of the first segment is flipped', async () => {
        const entries = await writeTwoSegments();
        await flipByte(join(dir, SEGMENT_1), payloadOffset(entries, 10));

        await expect(Journal.open({ dir })).rejects.toThrow(/journal-0000000001\.log is corrupt/);
      });

      it('refuses to open when the first segment has a torn tail', async () => {
        await writeTwoSegments();
        await truncate(join(dir, SEGMENT_1), (await stat(join(dir, SEGMENT_1))).size - 3);

        await expect(Journal.open({ dir })).rejects.toThrow(/journal-0000000001\.log is corrupt/);
      });

      it('refuses to open when a segment is missing', async () => {
        await writeTwoSegments();
        await copyFile(join(dir, SEGMENT_2), join(dir, 'journal-0000000004.log'));

        await expect(Journal.open({ dir })).rejects.toThrow(/journal-0000000003\.log is missing/);
      });
    });

    it('rejects the failed append and every later one once an fsync fails', async () => {
      const { logger, records } = recordingLogger();
      const { journal } = await openJournal({ logger });
      await journal.append(Buffer.from('acknowledged'));
      const probe = await open(join(dir, 'probe'), 'w');
      const fileHandleType = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
      await probe.close();
      const datasync = jest
        .spyOn(fileHandleType, 'datasync')
        .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      try {
        await expect(journal.append(Buffer.from('lost'))).rejects.toThrow(/failed write: EIO/);
      } finally {
        datasync.mockRestore();
      }
      await expect(journal.append(Buffer.from('later'))).rejects.toThrow(/failed write/);
      await expect(journal.compact(Buffer.from('state'))).rejects.toThrow(/failed write/);
      expect(records.filter((record) => record.level === 'error')).toHaveLength(1);
      await journal.close();

      // The unacknowledged entry reached the file before the fsync failed, so it may be replayed.
      expect(texts((await reopen()).entries)).toEqual(['acknowledged', 'lost']);
    });

    it('keeps every acknowledged append when the writing process is killed with SIGKILL', async () => {
      const dataDir = join(dir, 'data');
      const script = join(dir, 'writer.ts');
      const journalModule = resolve(__dirname, '..', 'journal.ts');
      await writeFile(
        script,
        [
          `import { Journal } from ${JSON.stringify(journalModule)};`,
          'async function main(): Promise<void> {',
          `  const { journal } = await Journal.open({ dir: ${JSON.stringify(dataDir)} });`,
          '  for (let index = 0; index < 1_000_000; index += 1) {',
          '    await journal.append(Buffer.from(`entry-${index}`));',
          '    process.stdout.write(`${index + 1}\\n`);',
          '  }',
          '}',
          'void main();',
        ].join('\n'),
      );
      const child = spawn(
        process.execPath,
        ['--import', pathToFileURL(require.resolve('tsx')).href, script],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      let errors = '';
      let acknowledged = 0;
      child.stderr.on('data', (chunk: Buffer) => {
        errors += chunk.toString();
      });
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const lines = output.split('\n');
        output = lines.pop() ?? '';
        for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
        if (acknowledged >= 200) child.kill('SIGKILL');
      });
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (onExit) => child.on('close', (code, signal) => onExit({ code, signal })),
      );
      expect({ ...exit, errors }).toEqual({ code: null, signal: 'SIGKILL', errors: '' });
      expect(acknowledged).toBeGreaterThanOrEqual(200);

      const { journal, recovered } = await Journal.open({ dir: dataDir });
      openJournals.push(journal);
      const replayed = texts(recovered.entries);
      expect(replayed.length).toBeGreaterThanOrEqual(acknowledged);
      expect(replayed).toEqual(replayed.map((_, index) => `entry-${index}`));
    });
  });

  describe('lock', () => {
    it('rejects a second open of the directory until the first is closed', async () => {
      const { journal } = await openJournal();
      await expect(Journal.open({ dir })).rejects.toThrow(/already open/);
      await journal.close();

      await expect(reopen()).resolves.toEqual({ snapshot: null, entries: [] });
    });

    it('rejects while another live process holds the lock', async () => {
      await writeFile(join(dir, 'LOCK'), `${process.ppid}\n`);

      await expect(Journal.open({ dir })).rejects.toThrow(
        new RegExp(`locked by running process ${process.ppid}`),
      );
    });

    it.each([
      ['a process that has exited', 'exited'],
      ['garbage', 'not a pid'],
      ['nothing', ''],
    ])('takes over a stale lock holding %s', async (_, content) => {
      const lock = join(dir, 'LOCK');
      if (content === 'exited') {
        const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
        await new Promise((onExit) => child.on('close', onExit));
        await writeFile(lock, `${child.pid}\n`);
      } else {
        await writeFile(lock, content);
      }

      await openJournal();
      expect(await readFile(lock, 'utf8')).toBe(`${process.pid}\n`);
      expect(await readdir(dir)).toEqual(['LOCK']);
    });
  });
});
