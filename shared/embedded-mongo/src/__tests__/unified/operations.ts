/**
 * The operations of the CRUD unified tests, each run through the official driver's API, with
 * its result converted to the document the test format matches (model objects to documents,
 * cursors iterated to arrays).
 */
import type {
  AnyBulkWriteOperation,
  BulkWriteResult,
  ClientBulkWriteModel,
  ClientBulkWriteResult,
  Collection,
  Db,
  Document,
  MongoClient,
} from 'mongodb';
import type { EntityMap } from './entities';

/** An operation of a test: `name` on entity `object` with `arguments`. */
export interface OperationSpec {
  name: string;
  object: string;
  arguments?: Document;
  expectResult?: unknown;
  expectError?: Document;
  ignoreResultAndError?: boolean;
  saveResultAsEntity?: string;
}

/** What an operation returned, and whether its documents are root-level for matching. */
export interface OperationResult {
  value: unknown;
  /** `find`, `aggregate`, ...: an array whose elements are each matched as root documents. */
  documents?: boolean;
}

/** A BulkWriteResult as the test format spells it. */
export function bulkWriteResultDocument(result: BulkWriteResult): Document {
  return {
    insertedCount: result.insertedCount,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    deletedCount: result.deletedCount,
    upsertedCount: result.upsertedCount,
    upsertedIds: result.upsertedIds,
    insertedIds: result.insertedIds,
  };
}

/** A client bulk write result as the test format spells it (maps of results by index). */
export function clientBulkWriteResultDocument(result: ClientBulkWriteResult): Document {
  const byIndex = (map: ReadonlyMap<number, unknown> | undefined): Document | undefined =>
    map
      ? Object.fromEntries([...map.entries()].map(([index, value]) => [String(index), value]))
      : undefined;
  return {
    acknowledged: result.acknowledged,
    insertedCount: result.insertedCount,
    upsertedCount: result.upsertedCount,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    deletedCount: result.deletedCount,
    ...(result.insertResults ? { insertResults: byIndex(result.insertResults) } : {}),
    ...(result.updateResults ? { updateResults: byIndex(result.updateResults) } : {}),
    ...(result.deleteResults ? { deleteResults: byIndex(result.deleteResults) } : {}),
  };
}

/** `returnDocument: "After"` (any case) as the driver's `'after'`. */
function returnDocument(value: unknown): 'before' | 'after' | undefined {
  if (value === undefined) return undefined;
  const lower = String(value).toLowerCase();
  if (lower !== 'before' && lower !== 'after')
    throw new Error(`returnDocument ${String(value)} is neither Before nor After`);
  return lower;
}

/** The Node.js driver's model of a client bulk write model `{insertOne: {namespace, ...}}`. */
function clientBulkWriteModel(model: Document): ClientBulkWriteModel {
  const [name, spec] = Object.entries(model)[0] as [string, Document];
  return { name, ...spec } as ClientBulkWriteModel;
}

type Runner = (entities: EntityMap, object: string, args: Document) => Promise<OperationResult>;

const collectionOf = (entities: EntityMap, object: string): Collection<Document> =>
  entities.collection(object);

const OPERATIONS: Record<string, Runner> = {
  async insertOne(entities, object, { document, ...options }) {
    return { value: await collectionOf(entities, object).insertOne(document, options) };
  },
  async insertMany(entities, object, { documents, ...options }) {
    return { value: await collectionOf(entities, object).insertMany(documents, options) };
  },
  async updateOne(entities, object, { filter, update, ...options }) {
    return { value: await collectionOf(entities, object).updateOne(filter, update, options) };
  },
  async updateMany(entities, object, { filter, update, ...options }) {
    return { value: await collectionOf(entities, object).updateMany(filter, update, options) };
  },
  async replaceOne(entities, object, { filter, replacement, ...options }) {
    return { value: await collectionOf(entities, object).replaceOne(filter, replacement, options) };
  },
  async deleteOne(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).deleteOne(filter, options) };
  },
  async deleteMany(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).deleteMany(filter, options) };
  },
  async bulkWrite(entities, object, { requests, ...options }) {
    const result = await collectionOf(entities, object).bulkWrite(
      requests as AnyBulkWriteOperation<Document>[],
      options,
    );
    return { value: bulkWriteResultDocument(result) };
  },
  async clientBulkWrite(entities, object, { models, ...options }) {
    const { client } = entities.client(object);
    const result = await client.bulkWrite(
      (models as Document[]).map(clientBulkWriteModel),
      options,
    );
    return { value: clientBulkWriteResultDocument(result) };
  },
  async find(entities, object, { filter, ...options }) {
    return {
      value: await collectionOf(entities, object).find(filter, options).toArray(),
      documents: true,
    };
  },
  async findOne(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).findOne(filter, options) };
  },
  async findOneAndUpdate(entities, object, { filter, update, returnDocument: which, ...options }) {
    const collection = collectionOf(entities, object);
    return {
      value: await collection.findOneAndUpdate(filter, update, {
        ...options,
        returnDocument: returnDocument(which),
      }),
    };
  },
  async findOneAndReplace(
    entities,
    object,
    { filter, replacement, returnDocument: which, ...options },
  ) {
    const collection = collectionOf(entities, object);
    return {
      value: await collection.findOneAndReplace(filter, replacement, {
        ...options,
        returnDocument: returnDocument(which),
      }),
    };
  },
  async findOneAndDelete(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).findOneAndDelete(filter, options) };
  },
  async aggregate(entities, object, { pipeline, ...options }) {
    const target: Db | Collection<Document> =
      entities.kindOf(object) === 'database'
        ? entities.database(object)
        : entities.collection(object);
    return { value: await target.aggregate(pipeline, options).toArray(), documents: true };
  },
  async countDocuments(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).countDocuments(filter, options) };
  },
  async estimatedDocumentCount(entities, object, options) {
    return { value: await collectionOf(entities, object).estimatedDocumentCount(options) };
  },
  async count(entities, object, { filter, ...options }) {
    return { value: await collectionOf(entities, object).count(filter, options) };
  },
  async distinct(entities, object, { fieldName, filter, ...options }) {
    return { value: await collectionOf(entities, object).distinct(fieldName, filter, options) };
  },
  async createIndex(entities, object, { keys, ...options }) {
    return { value: await collectionOf(entities, object).createIndex(keys, options) };
  },
  async createCollection(entities, object, { collection, ...options }) {
    await entities.database(object).createCollection(collection, options);
    return { value: undefined };
  },
  async dropCollection(entities, object, { collection, ...options }) {
    return { value: await entities.database(object).dropCollection(collection, options) };
  },
  async modifyCollection(entities, object, { collection, ...options }) {
    return { value: await entities.database(object).command({ collMod: collection, ...options }) };
  },
};

/** Runs an entity operation; throws what the driver threw. */
export async function runEntityOperation(
  entities: EntityMap,
  operation: OperationSpec,
): Promise<OperationResult> {
  const run = OPERATIONS[operation.name];
  if (!run) throw new Error(`the runner does not implement the '${operation.name}' operation`);
  return run(entities, operation.object, { ...(operation.arguments ?? {}) });
}

/** The internal client's view of a collection, sorted by `_id` (for `outcome`). */
export async function collectionContents(
  client: MongoClient,
  databaseName: string,
  collectionName: string,
): Promise<Document[]> {
  return client
    .db(databaseName)
    .collection(collectionName)
    .find({}, { sort: { _id: 1 }, readPreference: 'primary', readConcern: { level: 'local' } })
    .toArray();
}
