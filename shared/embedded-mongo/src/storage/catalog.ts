import type { UUID } from 'bson';
import { deserialize, serialize } from 'bson';
import { toExactForm, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { IndexSpec } from './btree-index';
import { Collection, type QueryMetrics, type StoredRecord } from './collection';
import type { Journal } from './journal';
import { ServerParameters } from '../server-parameters';

/**
 * A journal entry: one committed change. Replaying entries in order rebuilds the catalog; a
 * snapshot is the same entries describing the whole state (collections, indexes, documents).
 */
type Entry =
  | { o: 'create'; ns: string; options: Document; uuid: UUID }
  | { o: 'drop'; ns: string }
  | { o: 'dropDatabase'; db: string }
  | { o: 'rename'; from: string; to: string }
  | { o: 'createIndex'; ns: string; spec: IndexSpec }
  | { o: 'dropIndex'; ns: string; name: string }
  | { o: 'collMod'; ns: string; options: Document; indexes: IndexSpec[] }
  | { o: 'insert'; ns: string; d: Document }
  | { o: 'update'; ns: string; d: Document }
  | { o: 'delete'; ns: string; id: unknown };

const INVALID_DB_CHARS = /[/\\. "$*<>:|?\0]/;

/** Throws InvalidNamespace for names mongod would refuse. */
export function checkDatabaseName(db: string): void {
  if (typeof db !== 'string' || db.length === 0 || db.length > 63 || INVALID_DB_CHARS.test(db)) {
    fail(ErrorCode.InvalidNamespace, `Invalid database name: '${String(db)}'`);
  }
}

export function checkCollectionName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    fail(ErrorCode.InvalidNamespace, `Invalid collection name: ${String(name)}`);
  }
  if (
    name.includes('$') ||
    name.includes('\0') ||
    name.startsWith('.') ||
    name.startsWith('system.')
  ) {
    fail(ErrorCode.InvalidNamespace, `Invalid collection name: ${name}`);
  }
}

function applyCollMod(collection: Collection, options: Document, indexes: IndexSpec[]): void {
  collection.setOptions(options);
  for (const spec of indexes) {
    const index = collection.getIndex(spec.name);
    index?.setOption('hidden', spec.hidden);
    index?.setOption('expireAfterSeconds', spec.expireAfterSeconds);
  }
}

function splitNs(ns: string): [string, string] {
  const dot = ns.indexOf('.');
  return [ns.slice(0, dot), ns.slice(dot + 1)];
}

/**
 * Every database and collection, and the single place that changes them: each mutation is
 * applied in memory and, with a journal, appended to it in the same order. `durable()` is the
 * promise that all changes made so far are on disk.
 */
export class Catalog {
  private readonly databases = new Map<string, Map<string, Collection>>();
  private journal: Journal | null = null;
  private lastAppend: Promise<void> = Promise.resolve();
  /** Query work across all collections, for serverStatus. */
  readonly metrics: QueryMetrics = { scanned: 0, scannedObjects: 0 };
  /** getParameter / setParameter. */
  readonly parameters: ServerParameters;

  constructor(parameters: ServerParameters = new ServerParameters()) {
    this.parameters = parameters;
  }

  /** Starts journaling every later change (after replay). */
  attachJournal(journal: Journal): void {
    this.journal = journal;
  }

  /** Resolves once every change made before the call is durable; rejects if the journal failed. */
  durable(): Promise<void> {
    return this.lastAppend;
  }

  private record(entry: Entry): void {
    if (!this.journal) return;
    const append = this.journal.append(serialize(entry));
    // Keep later barriers failing once one append failed: nothing after it is durable either.
    this.lastAppend = this.lastAppend.then(() => append);
    this.lastAppend.catch(() => undefined);
  }

  databaseNames(): string[] {
    return [...this.databases.keys()].filter((db) => (this.databases.get(db)?.size ?? 0) > 0);
  }

  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  getCollection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Creates a collection; throws NamespaceExists when it exists. */
  createCollection(db: string, name: string, options: Document = {}): Collection {
    checkDatabaseName(db);
    checkCollectionName(name);
    if (this.getCollection(db, name))
      fail(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
    const collection = new Collection(db, name, options, undefined, this.metrics, this.parameters);
    this.attach(collection);
    this.record({ o: 'create', ns: collection.ns, options, uuid: collection.uuid });
    return collection;
  }

  /** The collection, created implicitly (as a first insert or createIndexes does) if missing. */
  ensureCollection(db: string, name: string): Collection {
    return this.getCollection(db, name) ?? this.createCollection(db, name);
  }

  private attach(collection: Collection): void {
    let collections = this.databases.get(collection.db);
    if (!collections) {
      collections = new Map();
      this.databases.set(collection.db, collections);
    }
    collections.set(collection.name, collection);
  }

  dropCollection(db: string, name: string): boolean {
    const collections = this.databases.get(db);
    if (!collections?.delete(name)) return false;
    this.record({ o: 'drop', ns: `${db}.${name}` });
    return true;
  }

  dropDatabase(db: string): void {
    if (!this.databases.delete(db)) return;
    this.record({ o: 'dropDatabase', db });
  }

  renameCollection(from: Collection, toDb: string, toName: string): void {
    checkDatabaseName(toDb);
    checkCollectionName(toName);
    const source = from.ns;
    this.databases.get(from.db)?.delete(from.name);
    let moved = from;
    if (toDb !== from.db) {
      moved = new Collection(toDb, toName, from.options, from.uuid, this.metrics, this.parameters);
      for (const index of from.indexList().slice(1)) moved.createIndex(index.spec);
      for (const record of from.allRecords())
        moved.insert(record.doc, { doc: record.doc, size: record.size });
    } else moved.name = toName;
    this.attach(moved);
    this.record({ o: 'rename', from: source, to: `${toDb}.${toName}` });
  }

  insert(
    collection: Collection,
    doc: Document,
    prepared?: { doc: Document; size: number },
  ): StoredRecord {
    const limits = collection.capped;
    if (limits && prepared && prepared.size > limits.size) {
      fail(
        ErrorCode.BadValue,
        `object to insert exceeds cappedMaxSize of ${limits.size} bytes in ${collection.ns}`,
      );
    }
    const record = collection.insert(doc, prepared);
    this.record({ o: 'insert', ns: collection.ns, d: record.doc });
    // A capped collection makes room by removing its oldest documents, as mongod does.
    for (const oldest of collection.cappedOverflow()) this.remove(collection, oldest);
    return record;
  }

  replace(collection: Collection, record: StoredRecord, doc: Document): StoredRecord {
    const updated = collection.replace(record, doc);
    this.record({ o: 'update', ns: collection.ns, d: updated.doc });
    return updated;
  }

  remove(collection: Collection, record: StoredRecord): void {
    collection.remove(record);
    this.record({ o: 'delete', ns: collection.ns, id: record.doc._id });
  }

  createIndex(collection: Collection, spec: IndexSpec): boolean {
    const created = collection.createIndex(spec);
    if (created) this.record({ o: 'createIndex', ns: collection.ns, spec });
    return created;
  }

  /**
   * Applies a `collMod`: the collection's new options and the new specs of the indexes whose
   * `hidden` or `expireAfterSeconds` changed (the entries stay as they are).
   */
  modifyCollection(collection: Collection, options: Document, indexes: IndexSpec[]): void {
    applyCollMod(collection, options, indexes);
    this.record({ o: 'collMod', ns: collection.ns, options, indexes });
  }

  dropIndex(collection: Collection, name: string): void {
    collection.dropIndex(name);
    this.record({ o: 'dropIndex', ns: collection.ns, name });
  }

  /** The whole state as concatenated BSON entries, for a journal snapshot. */
  snapshot(): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const collections of this.databases.values()) {
      for (const collection of collections.values()) {
        const ns = collection.ns;
        parts.push(
          serialize({ o: 'create', ns, options: collection.options, uuid: collection.uuid }),
        );
        for (const index of collection.indexList().slice(1))
          parts.push(serialize({ o: 'createIndex', ns, spec: index.spec }));
        for (const record of collection.allRecords())
          parts.push(serialize({ o: 'insert', ns, d: record.doc }));
      }
    }
    return Buffer.concat(parts);
  }

  /** Applies a snapshot (concatenated entries) during recovery. */
  loadSnapshot(bytes: Uint8Array): void {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (offset < view.length) {
      const length = view.readInt32LE(offset);
      this.replay(view.subarray(offset, offset + length));
      offset += length;
    }
  }

  /** Applies one journal entry during recovery (nothing is journaled while replaying). */
  replay(bytes: Uint8Array): void {
    const entry = toExactForm(deserialize(bytes, { promoteValues: false })) as Entry;
    switch (entry.o) {
      case 'create':
        this.attach(
          new Collection(
            ...splitNs(entry.ns),
            entry.options,
            entry.uuid,
            this.metrics,
            this.parameters,
          ),
        );
        return;
      case 'drop':
        this.databases.get(splitNs(entry.ns)[0])?.delete(splitNs(entry.ns)[1]);
        return;
      case 'dropDatabase':
        this.databases.delete(entry.db);
        return;
      case 'rename': {
        const [fromDb, fromName] = splitNs(entry.from);
        const [toDb, toName] = splitNs(entry.to);
        const collection = this.getCollection(fromDb, fromName);
        if (collection) this.withoutJournal(() => this.renameCollection(collection, toDb, toName));
        return;
      }
      case 'createIndex':
        this.collectionFor(entry.ns).createIndex(entry.spec);
        return;
      case 'dropIndex':
        this.collectionFor(entry.ns).dropIndex(entry.name);
        return;
      case 'collMod':
        applyCollMod(this.collectionFor(entry.ns), entry.options, entry.indexes);
        return;
      case 'insert':
        this.collectionFor(entry.ns).insert(entry.d);
        return;
      case 'update': {
        const collection = this.collectionFor(entry.ns);
        const record = collection.findById(entry.d._id);
        if (record) collection.replace(record, entry.d);
        return;
      }
      case 'delete': {
        const collection = this.collectionFor(entry.ns);
        const record = collection.findById(entry.id);
        if (record) collection.remove(record);
        return;
      }
      default: {
        const unknown: never = entry;
        throw new Error(`unknown journal entry ${JSON.stringify(unknown)}`);
      }
    }
  }

  private collectionFor(ns: string): Collection {
    const [db, name] = splitNs(ns);
    const existing = this.getCollection(db, name);
    if (existing) return existing;
    const collection = new Collection(db, name, {}, undefined, this.metrics, this.parameters);
    this.attach(collection);
    return collection;
  }

  private withoutJournal(run: () => void): void {
    const journal = this.journal;
    this.journal = null;
    try {
      run();
    } finally {
      this.journal = journal;
    }
  }
}
