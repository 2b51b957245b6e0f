import { Long, MongoServerError, type Collection, type Document } from 'mongodb';
import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

const engine = useEngineDatabase('errors', 'e');
const { fresh } = engine;

describe('transactions on a standalone server', () => {
  it('withTransaction fails: IllegalOperation (20), surfaced by the driver as its retryable-writes message', async () => {
    const coll = fresh();
    const session = engine.client.startSession();
    try {
      const error = await rejection(
        session.withTransaction(async () => {
          await coll.insertOne({ a: 1 }, { session });
        }),
      );
      expect(error).toBeInstanceOf(MongoServerError);
      // The driver replaces mongod's "Transaction numbers are only allowed on a replica set
      // member or mongos" (code 20) with this message and keeps the original error.
      expect(error.message).toBe(
        'This MongoDB deployment does not support retryable writes. Please add retryWrites=false to your connection string.',
      );
      const original = (error as MongoServerError & { originalError?: MongoServerError })
        .originalError;
      expect(original?.code).toBe(20);
      expect(original?.codeName).toBe('IllegalOperation');
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments()).toBe(0);
  });

  it('a command carrying txnNumber is IllegalOperation (20) and does nothing', async () => {
    const coll = fresh();
    const error = await rejection(
      engine.db.command({
        insert: coll.collectionName,
        documents: [{ a: 1 }],
        txnNumber: Long.fromNumber(1),
      }),
    );
    expect(error.code).toBe(20);
    expect(error.codeName).toBe('IllegalOperation');
    expect(error.message).toBe(
      'Transaction numbers are only allowed on a replica set member or mongos',
    );
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('command and document errors', () => {
  it('an unknown command is CommandNotFound (59)', async () => {
    const error = await rejection(engine.db.command({ frobnicate: 1 }));
    expect(error.code).toBe(59);
    expect(error.codeName).toBe('CommandNotFound');
    expect(error.message).toBe("no such command: 'frobnicate'");
  });

  it('a document over 16 MiB is BSONObjectTooLarge (10334) and nothing is stored', async () => {
    const coll = fresh();
    const big = 'x'.repeat(17_000_000);
    const error = await rejection(coll.insertOne({ _id: 1, big }));
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(10334);
    expect(await coll.countDocuments()).toBe(0);
  });

  it('an update that grows a document past 16 MiB fails and leaves it unchanged', async () => {
    const coll = fresh();
    const nine = 'y'.repeat(9 * 1024 * 1024);
    await coll.insertOne({ _id: 1, a: nine });
    const error = await rejection(coll.updateOne({ _id: 1 }, { $set: { b: nine } }));
    expect(error).toBeInstanceOf(MongoServerError);
    // mongod has used both 17419 and BSONObjectTooLarge for "Resulting document after update
    // is larger than 16777216" across versions.
    expect([10334, 17419]).toContain(error.code);
    const stored = await coll.findOne({ _id: 1 }, { projection: { b: 1 } });
    expect(stored).toEqual({ _id: 1 });
  });

  it('$-prefixed field names are stored on insert (mongod 5.0+)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, $price: 50, nested: { $inc: true } });
    expect(await coll.findOne({ _id: 1 })).toEqual({
      _id: 1,
      $price: 50,
      nested: { $inc: true },
    });
  });

  it('a $-prefixed top-level field in a replacement is DollarPrefixedFieldName (52)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: 1 });
    const error = await rejection(coll.replaceOne({ _id: 1 }, { a: 2, $bad: 1 }));
    expect(error.code).toBe(52);
    expect(error.message).toContain("The dollar ($) prefixed field '$bad' in '$bad'");
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, a: 1 });
  });

  it('$set of a $-prefixed top-level field on an existing document is refused (52)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: 1 });
    const error = await rejection(coll.updateOne({ _id: 1 }, { $set: { $hotel: 320 } }));
    expect(error.code).toBe(52);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, a: 1 });
  });

  it('$set of a $-prefixed top-level field is stored when an upsert inserts (mongod 5.0+)', async () => {
    // MongoDB validates the document an upsert creates as an insert: the same update that
    // inserts succeeds; once its query matches the inserted document, a change of the field fails.
    const coll = fresh();
    const update = { $set: { phone: 25.17, $hotel: 320.1 } };
    const result = await coll.updateOne({ date: '2021-07-07' }, update, { upsert: true });
    expect(result.upsertedCount).toBe(1);
    const stored = await coll.findOne({ date: '2021-07-07' }, { projection: { _id: 0 } });
    expect(stored).toEqual({ date: '2021-07-07', $hotel: 320.1, phone: 25.17 });
    const change = { $set: { $hotel: 330 } };
    const error = await rejection(coll.updateOne({ date: '2021-07-07' }, change, { upsert: true }));
    expect(error.code).toBe(52);
    expect(await coll.findOne({ date: '2021-07-07' }, { projection: { _id: 0 } })).toEqual(stored);
  });

  it('$set of a $-prefixed field below the top level updates an existing document', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 'E123', address: { $number: 123, $street: 'Elm Road' } });
    await coll.updateOne({ _id: 'E123' }, { $set: { 'address.$street': 'Elm Ave' } });
    expect(await coll.findOne({ _id: 'E123' })).toEqual({
      _id: 'E123',
      address: { $number: 123, $street: 'Elm Ave' },
    });
  });

  it('an update document mixing operators and plain fields is refused', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: 1 });
    const error = await rejection(
      engine.db
        .command({
          update: coll.collectionName,
          updates: [{ q: { _id: 1 }, u: { $set: { a: 2 }, b: 1 } }],
        })
        .then((reply) => {
          if (reply.writeErrors) throw new MongoServerError(reply.writeErrors[0]);
          return reply;
        }),
    );
    expect(error.code).toBe(9);
    expect(error.message).toContain('Unknown modifier: b');
  });
});

describe('update errors', () => {
  let coll: Collection<Doc>;

  beforeEach(async () => {
    coll = fresh();
    await coll.insertOne({ _id: 1, name: 'ann', n: 1 });
  });

  it('changing _id with $set is ImmutableField (66)', async () => {
    const error = await rejection(coll.updateOne({ _id: 1 }, { $set: { _id: 2 } }));
    expect(error.code).toBe(66);
    expect(error.message).toBe(
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    );
    expect(await coll.find().toArray()).toEqual([{ _id: 1, name: 'ann', n: 1 }]);
  });

  it('changing _id in a replacement is ImmutableField (66)', async () => {
    const error = await rejection(coll.replaceOne({ _id: 1 }, { _id: 2, name: 'x' }));
    expect(error.code).toBe(66);
    expect(error.message).toBe(
      "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
    );
    // Repeating the same _id is fine.
    const same = await coll.replaceOne({ _id: 1 }, { _id: 1, name: 'x' });
    expect(same.modifiedCount).toBe(1);
  });

  it('$inc on a string is TypeMismatch (14)', async () => {
    const error = await rejection(coll.updateOne({ _id: 1 }, { $inc: { name: 1 } }));
    expect(error.code).toBe(14);
    expect(error.message).toBe(
      "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'name' of non-numeric type string",
    );
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'ann', n: 1 });
  });

  it('$inc with a non-numeric argument is TypeMismatch (14)', async () => {
    const error = await rejection(coll.updateOne({ _id: 1 }, { $inc: { n: 'one' } } as Document));
    expect(error.code).toBe(14);
    expect(error.message).toBe('Cannot increment with non-numeric argument: {n: "one"}');
  });

  it('an unknown update operator is FailedToParse (9)', async () => {
    const error = await rejection(coll.updateOne({ _id: 1 }, { $frob: { n: 1 } }));
    expect(error.code).toBe(9);
    expect(error.message).toBe(
      'Unknown modifier: $frob. Expected a valid update modifier or pipeline-style update specified as an array',
    );
  });

  it('an error in updateMany stops the statement where mongod stops it', async () => {
    await coll.insertOne({ _id: 2, name: 5, n: 2 });
    await coll.insertOne({ _id: 3, name: 'cid', n: 3 });
    const error = await rejection(coll.updateMany({ n: { $gte: 2 } }, { $inc: { name: 1 } }));
    expect(error.code).toBe(14);
    // _id 2 (a number) was incremented before _id 3 failed; a multi-update is not atomic.
    expect(await coll.findOne({ _id: 2 })).toEqual({ _id: 2, name: 6, n: 2 });
    expect(await coll.findOne({ _id: 3 })).toEqual({ _id: 3, name: 'cid', n: 3 });
  });
});

describe('query errors', () => {
  let coll: Collection<Doc>;

  beforeAll(async () => {
    coll = fresh();
    await coll.insertMany([
      { _id: 1, a: 1 },
      { _id: 2, a: 2 },
    ]);
  });

  it('an unknown field operator is BadValue (2)', async () => {
    const error = await rejection(coll.find({ a: { $foo: 1 } }).toArray());
    expect(error.code).toBe(2);
    expect(error.codeName).toBe('BadValue');
    expect(error.message).toBe('unknown operator: $foo');
  });

  it('an unknown top-level operator is BadValue (2)', async () => {
    const error = await rejection(coll.find({ $foo: 1 }).toArray());
    expect(error.code).toBe(2);
    expect(error.message).toBe(
      "unknown top level operator: $foo. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.",
    );
  });

  it('an unknown operator in an update filter or count is refused too', async () => {
    expect((await rejection(coll.updateOne({ a: { $foo: 1 } }, { $set: { b: 1 } }))).code).toBe(2);
    expect((await rejection(coll.countDocuments({ a: { $foo: 1 } }))).code).toBe(2);
    expect(await coll.countDocuments({ b: 1 })).toBe(0);
  });

  it('$where is never silently ignored', async () => {
    // mongod runs $where as JavaScript; the embedded engine has no JavaScript and must refuse it
    // by name (NotImplemented) rather than match everything or nothing.
    let docs: Document[] | undefined;
    let error: MongoServerError | undefined;
    try {
      docs = await coll.find({ $where: 'this.a > 1' }).toArray();
    } catch (e) {
      error = e as MongoServerError;
    }
    if (error) {
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error.message).toContain('$where');
    } else {
      expect(docs?.map((d) => d._id)).toEqual([2]);
    }
  });

  it('a sort direction other than 1 or -1 is refused (15975)', async () => {
    // The driver checks sort directions itself; the raw command reaches the server.
    const error = await rejection(
      engine.db.command({ find: coll.collectionName, filter: {}, sort: { a: 2 } }),
    );
    expect(error.code).toBe(15975);
    expect(error.message).toBe(
      '$sort key ordering must be 1 (for ascending) or -1 (for descending)',
    );
  });

  it('a getMore on a cursor that never existed is CursorNotFound (43)', async () => {
    const error = await rejection(
      engine.db.command({ getMore: Long.fromNumber(123456789), collection: coll.collectionName }),
    );
    expect(error.code).toBe(43);
  });
});
