/**
 * Embedded engine benchmark, with the engine in its own process (the CLI) so that its memory is
 * its own: a full scan through the driver (time, and the engine's resident memory before and at
 * its peak during the scan: a streaming cursor keeps it flat), a scan of 100k of them sorted on
 * an unindexed field for contrast (a sort must hold the result), `$text` searches over a text
 * index (queries per second and latency), and pages ordered by a title under a collation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { processUsage } from '@psa/shared/testing';
import { measure, type ScenarioResult } from './lib/measure';

interface Sizes {
  scanDocs: number;
  textDocs: number;
  queries: number;
}

const CLI = path.join(__dirname, '..', 'shared', 'embedded-mongo', 'bin', 'embedded-mongo.cjs');

/** Starts the engine CLI on a free port and resolves with its process and URI. */
async function startEngineProcess(): Promise<{ child: ChildProcess; uri: string }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const uri = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the engine exited with ${String(code)}`)));
    lines.on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1] as string);
    });
  });
  return { child, uri };
}

async function stopEngineProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const mib = (kib: number): string => `${Math.round(kib / 1024)} MiB`;

/** Resident memory of `pid` in KiB: now, and the highest seen while `run` runs. */
async function peakRss(pid: number, run: () => Promise<void>): Promise<number> {
  let peak = processUsage(pid)?.rssKiB ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, processUsage(pid)?.rssKiB ?? 0);
  }, 20);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, processUsage(pid)?.rssKiB ?? 0);
}

async function fillScan(collection: Collection<Document>, count: number): Promise<void> {
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const docs = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      docs.push({
        seq: i,
        name: `item ${(i * 7919) % count}`,
        status: i % 3 === 0 ? 'DONE' : 'TODO',
        payload: 'x'.repeat(100),
      });
    }
    await collection.insertMany(docs, { ordered: false });
  }
}

async function scan(
  name: string,
  pid: number,
  collection: Collection<Document>,
  count: number,
  query: { filter?: Document; sort?: Document } = {},
): Promise<ScenarioResult> {
  const before = processUsage(pid)?.rssKiB ?? 0;
  let seen = 0;
  const start = performance.now();
  const peak = await peakRss(pid, async () => {
    const cursor = collection.find(query.filter ?? {}, {
      batchSize: 1000,
      ...(query.sort ? { sort: query.sort } : {}),
    });
    for await (const _doc of cursor) seen++;
  });
  const totalMs = performance.now() - start;
  if (seen !== count) throw new Error(`${name}: expected ${count} documents, read ${seen}`);
  return {
    name,
    operations: count,
    totalMs,
    opsPerSecond: (count / totalMs) * 1000,
    unit: 'docs/s',
    p50Ms: totalMs,
    p95Ms: totalMs,
    p99Ms: totalMs,
    notes: `${(totalMs / 1000).toFixed(1)} s; engine RSS ${mib(before)} before, peak ${mib(peak)} (+${mib(peak - before)})`,
  };
}

// Words for the text corpus: a few hundred distinct stems, some frequent, most rare.
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'fi'];
const VOCABULARY = Array.from({ length: 1200 }, (_, i) => {
  const a = SYLLABLES[i % SYLLABLES.length] as string;
  const b = SYLLABLES[Math.floor(i / SYLLABLES.length) % SYLLABLES.length] as string;
  const c = SYLLABLES[Math.floor(i / 144) % SYLLABLES.length] as string;
  return `${a}${b}${c}`;
});

/** A deterministic word for position `n` of document `i`, skewed towards the first words. */
const word = (i: number, n: number): string => {
  const r = ((i * 2654435761 + n * 40503) >>> 0) / 2 ** 32;
  return VOCABULARY[Math.floor(r * r * VOCABULARY.length)] as string;
};

async function fillText(collection: Collection<Document>, count: number): Promise<void> {
  await collection.createIndex({ title: 'text', body: 'text' }, { weights: { title: 5 } });
  const batch = 2000;
  for (let start = 0; start < count; start += batch) {
    const docs = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      docs.push({
        title: `${word(i, 0)} ${word(i, 1)} project`,
        body: Array.from({ length: 30 }, (_, n) => word(i, n + 2)).join(' '),
      });
    }
    await collection.insertMany(docs, { ordered: false });
  }
}

/** One ranked page of 20 (+1) after `after`, as shared paginateSearch builds it. */
function rankedPage(
  collection: Collection<Document>,
  search: string,
  after: Document | null,
): Promise<Document[]> {
  const pipeline: Document[] = [
    { $match: { $text: { $search: search } } },
    { $addFields: { score: { $meta: 'textScore' } } },
  ];
  if (after) {
    pipeline.push({
      $match: {
        $or: [{ score: { $lt: after.score } }, { score: after.score, _id: { $gt: after._id } }],
      },
    });
  }
  pipeline.push({ $sort: { score: -1, _id: 1 } }, { $limit: 21 });
  return collection.aggregate(pipeline).toArray();
}

async function textSearches(
  collection: Collection<Document>,
  queries: number,
  label: string,
): Promise<ScenarioResult[]> {
  const topTwenty = (search: string) =>
    collection
      .find({ $text: { $search: search } }, { projection: { score: { $meta: 'textScore' } } })
      .sort({ score: { $meta: 'textScore' } })
      .limit(20)
      .toArray();
  const rare = (i: number): string => VOCABULARY[600 + (i % 600)] as string;
  return [
    await measure(`$text one rare term, top 20 by score @${label}`, queries, async (i) => {
      await topTwenty(rare(i));
    }),
    await measure(`$text two terms (one common), top 20 @${label}`, queries, async (i) => {
      await topTwenty(`${VOCABULARY[i % 20] as string} ${rare(i)}`);
    }),
    await measure(`$text phrase, top 20 @${label}`, queries, async (i) => {
      await topTwenty(`"${word(i, 0)} ${word(i, 1)}"`);
    }),
    // What a service's `filter.search` runs (shared paginateSearch): the score into a field, a
    // (score, _id) cursor, 21 documents; the first page, then the one after it.
    await measure(`ranked page as the services run it, two terms @${label}`, queries, async (i) => {
      const search = `${VOCABULARY[i % 20] as string} ${rare(i)}`;
      const first = await rankedPage(collection, search, null);
      const last = first[19];
      if (last) await rankedPage(collection, search, last);
    }),
  ];
}

/** The collation of lists ordered by a name (shared NAME_COLLATION). */
const NAME_COLLATION = { locale: 'en', strength: 2 };

/** One page of 20 (+1) by title under a collation after `after`, as shared paginateByName builds it. */
function namePage(collection: Collection<Document>, after: Document | null): Promise<Document[]> {
  const filter = after
    ? { $or: [{ title: { $gt: after.title } }, { title: after.title, _id: { $gt: after._id } }] }
    : {};
  return collection
    .find(filter, { sort: { title: 1, _id: 1 }, collation: NAME_COLLATION, limit: 21 })
    .toArray();
}

/**
 * What a list ordered by a name runs (`orderBy: NAME`/`TITLE`): a page of 21 through an index
 * under the list's collation, first pages and pages after cursors spread over the whole order.
 * A page after a cursor reads from the cursor on, so the two should cost about the same.
 */
async function namePages(
  collection: Collection<Document>,
  queries: number,
  label: string,
): Promise<ScenarioResult[]> {
  await collection.createIndex({ title: 1, _id: 1 }, { collation: NAME_COLLATION });
  const order = await collection
    .find({}, { sort: { title: 1, _id: 1 }, collation: NAME_COLLATION, projection: { title: 1 } })
    .toArray();
  return [
    await measure(`page by title under a collation, first @${label}`, queries, async () => {
      await namePage(collection, null);
    }),
    await measure(`page by title, after a cursor anywhere @${label}`, queries, async (i) => {
      await namePage(collection, order[(i * 7919) % order.length] ?? null);
    }),
  ];
}

/** Runs the engine-process scenarios and returns their figures. */
export async function runEngineBench(full: boolean): Promise<ScenarioResult[]> {
  const sizes: Sizes = full
    ? { scanDocs: 1_000_000, textDocs: 100_000, queries: 500 }
    : { scanDocs: 100_000, textDocs: 10_000, queries: 100 };
  const { child, uri } = await startEngineProcess();
  // Generous timeouts: on a loaded machine one long command can delay the monitor's heartbeat.
  const client = await new MongoClient(uri, {
    maxPoolSize: 4,
    serverSelectionTimeoutMS: 120_000,
    connectTimeoutMS: 120_000,
  }).connect();
  try {
    const pid = child.pid as number;
    const db = client.db('bench_engine');
    const results: ScenarioResult[] = [];
    const docs = db.collection('scan');
    await fillScan(docs, sizes.scanDocs);
    const label = `${sizes.scanDocs / 1000}k`;
    results.push(await scan(`full scan, streamed @${label}`, pid, docs, sizes.scanDocs));
    // The contrast stays at 100k documents: sorting a million in one command would hold the
    // engine's event loop long enough for the driver's monitor to give up on a loaded machine.
    const sorted = Math.min(sizes.scanDocs, 100_000);
    results.push(
      await scan(`${sorted / 1000}k of them sorted without an index`, pid, docs, sorted, {
        filter: { seq: { $lt: sorted } },
        sort: { name: 1 },
      }),
    );
    await docs.drop();
    const texts = db.collection('texts');
    await fillText(texts, sizes.textDocs);
    results.push(...(await textSearches(texts, sizes.queries, `${sizes.textDocs / 1000}k`)));
    results.push(...(await namePages(texts, sizes.queries, `${sizes.textDocs / 1000}k`)));
    return results;
  } finally {
    await client.close();
    await stopEngineProcess(child);
  }
}
