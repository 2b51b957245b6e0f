import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  type Collection,
  type Document,
} from 'mongodb';
import { type Doc, useEngineDatabase } from './helpers/engine';

const { fresh } = useEngineDatabase('bson', 'b');

/** Reads one document back with numeric types unpromoted (Int32, Double, Long stay wrapped). */
async function raw(coll: Collection<Doc>, filter: Document = {}): Promise<Document> {
  const doc = await coll.findOne(filter, { promoteValues: false });
  if (!doc) throw new Error('document not found');
  return doc;
}

/** The BSON type name of a value read with promoteValues: false. */
const bsonType = (value: unknown): string =>
  (value as { _bsontype?: string } | null)?._bsontype ?? typeof value;

describe('BSON round trip', () => {
  const oid = new ObjectId('65a1b2c3d4e5f60718293a4b');
  const when = new Date('2024-05-06T07:08:09.123Z');
  const uuid = new UUID('0b5c1a5e-7d3c-4e2a-9f1b-2c3d4e5f6a7b');
  const big = Long.fromString('9007199254740993'); // 2^53 + 1: not representable as a double

  let coll: Collection<Doc>;

  beforeAll(async () => {
    coll = fresh();
    await coll.insertOne({
      _id: 1,
      int32: new Int32(42),
      int32Negative: new Int32(-7),
      int64: Long.fromNumber(5),
      int64Big: big,
      int64Min: Long.MIN_VALUE,
      double: new Double(3.25),
      doubleIntegral: new Double(2),
      doubleZero: new Double(0),
      decimal: Decimal128.fromString('1234.5678901234567890'),
      date: when,
      oid,
      bin: new Binary(Buffer.from([0, 1, 2, 254, 255])),
      uuid,
      nested: {
        arr: [
          [1, 2],
          [3, [4, 5]],
        ],
        deep: { deeper: { deepest: 'x' } },
      },
      nul: null,
      yes: true,
      no: false,
      re: new BSONRegExp('^ab+c', 'i'),
      ts: new Timestamp({ t: 1700000000, i: 7 }),
      min: new MinKey(),
      max: new MaxKey(),
      emptyObject: {},
      emptyArray: [],
      str: 'héllo wörld ✓',
      emptyString: '',
    });
  });

  it('keeps every numeric type exactly (promoteValues: false)', async () => {
    const doc = await raw(coll);
    expect(bsonType(doc.int32)).toBe('Int32');
    expect((doc.int32 as Int32).value).toBe(42);
    expect(bsonType(doc.int32Negative)).toBe('Int32');
    expect(bsonType(doc.int64)).toBe('Long');
    expect((doc.int64 as Long).toNumber()).toBe(5);
    expect(bsonType(doc.int64Big)).toBe('Long');
    expect((doc.int64Big as Long).toString()).toBe('9007199254740993');
    expect((doc.int64Min as Long).toString()).toBe('-9223372036854775808');
    expect(bsonType(doc.double)).toBe('Double');
    expect((doc.double as Double).value).toBe(3.25);
    // An integral double must not come back as Int32.
    expect(bsonType(doc.doubleIntegral)).toBe('Double');
    expect((doc.doubleIntegral as Double).value).toBe(2);
    expect(bsonType(doc.doubleZero)).toBe('Double');
    expect(bsonType(doc.decimal)).toBe('Decimal128');
    expect((doc.decimal as Decimal128).toString()).toBe('1234.5678901234567890');
  });

  it('reads back with default promotion as the driver would from mongod', async () => {
    const doc = await coll.findOne({ _id: 1 });
    expect(doc?.int32).toBe(42);
    expect(doc?.int64).toBe(5);
    // Beyond 2^53 the driver keeps a Long rather than lose precision.
    expect(doc?.int64Big).toBeInstanceOf(Long);
    expect((doc?.int64Big as Long).toString()).toBe('9007199254740993');
    expect(doc?.double).toBe(3.25);
    expect(doc?.doubleIntegral).toBe(2);
    expect(doc?.decimal).toBeInstanceOf(Decimal128);
    expect(doc?.date).toEqual(when);
    expect(doc?.oid).toBeInstanceOf(ObjectId);
    expect((doc?.oid as ObjectId).toHexString()).toBe(oid.toHexString());
    const bin = doc?.bin as Binary;
    expect(bin).toBeInstanceOf(Binary);
    expect(bin.sub_type).toBe(0);
    expect(Buffer.from(bin.buffer)).toEqual(Buffer.from([0, 1, 2, 254, 255]));
    const storedUuid = doc?.uuid as Binary;
    expect(storedUuid.sub_type).toBe(4);
    expect(storedUuid.toUUID().toHexString()).toBe(uuid.toHexString());
    expect(doc?.nested).toEqual({
      arr: [
        [1, 2],
        [3, [4, 5]],
      ],
      deep: { deeper: { deepest: 'x' } },
    });
    expect(doc?.nul).toBeNull();
    expect(doc?.yes).toBe(true);
    expect(doc?.no).toBe(false);
    expect(doc?.re).toBeInstanceOf(RegExp);
    expect((doc?.re as RegExp).source).toBe('^ab+c');
    expect((doc?.re as RegExp).flags).toBe('i');
    const ts = doc?.ts as Timestamp;
    expect(ts).toBeInstanceOf(Timestamp);
    expect([ts.t, ts.i]).toEqual([1700000000, 7]);
    expect(doc?.min).toBeInstanceOf(MinKey);
    expect(doc?.max).toBeInstanceOf(MaxKey);
    expect(doc?.emptyObject).toEqual({});
    expect(doc?.emptyArray).toEqual([]);
    expect(doc?.str).toBe('héllo wörld ✓');
    expect(doc?.emptyString).toBe('');
  });

  it('preserves field order', async () => {
    const doc = await coll.findOne({ _id: 1 });
    expect(Object.keys(doc ?? {})).toEqual([
      '_id',
      'int32',
      'int32Negative',
      'int64',
      'int64Big',
      'int64Min',
      'double',
      'doubleIntegral',
      'doubleZero',
      'decimal',
      'date',
      'oid',
      'bin',
      'uuid',
      'nested',
      'nul',
      'yes',
      'no',
      're',
      'ts',
      'min',
      'max',
      'emptyObject',
      'emptyArray',
      'str',
      'emptyString',
    ]);
    const other = fresh();
    await other.insertOne({ _id: 1, z: 1, a: { y: 1, b: 2, x: 3 }, m: 3 });
    const back = await other.findOne({ _id: 1 });
    expect(Object.keys(back ?? {})).toEqual(['_id', 'z', 'a', 'm']);
    expect(Object.keys(back?.a ?? {})).toEqual(['y', 'b', 'x']);
  });

  it('matches by value across numeric types and by exact value for others', async () => {
    expect(await coll.countDocuments({ int64: 5 })).toBe(1);
    expect(await coll.countDocuments({ doubleIntegral: 2 })).toBe(1);
    expect(await coll.countDocuments({ int32: 42.0 })).toBe(1);
    expect(await coll.countDocuments({ int64Big: Long.fromString('9007199254740993') })).toBe(1);
    expect(await coll.countDocuments({ oid })).toBe(1);
    expect(await coll.countDocuments({ date: when })).toBe(1);
    expect(await coll.countDocuments({ date: { $gt: new Date('2024-01-01') } })).toBe(1);
    expect(await coll.countDocuments({ uuid })).toBe(1);
    expect(await coll.countDocuments({ nul: null })).toBe(1);
    expect(await coll.countDocuments({ 'nested.deep.deeper.deepest': 'x' })).toBe(1);
    expect(await coll.countDocuments({ int32: { $type: 'int' } })).toBe(1);
    expect(await coll.countDocuments({ double: { $type: 'double' } })).toBe(1);
    expect(await coll.countDocuments({ doubleIntegral: { $type: 'double' } })).toBe(1);
    expect(await coll.countDocuments({ doubleIntegral: { $type: 'int' } })).toBe(0);
    expect(await coll.countDocuments({ int64: { $type: 'long' } })).toBe(1);
    expect(await coll.countDocuments({ int64: { $type: 'int' } })).toBe(0);
    expect(await coll.countDocuments({ decimal: { $type: 'decimal' } })).toBe(1);
    expect(await coll.countDocuments({ int64Big: { $type: 'number' } })).toBe(1);
    expect(await coll.countDocuments({ ts: { $type: 'timestamp' } })).toBe(1);
    expect(await coll.countDocuments({ ts: { $type: 'long' } })).toBe(0);
    expect(await coll.countDocuments({ ts: new Timestamp({ t: 1700000000, i: 7 }) })).toBe(1);
    expect(await coll.countDocuments({ ts: new Timestamp({ t: 1700000000, i: 8 }) })).toBe(0);
    expect(await coll.countDocuments({ bin: { $type: 'binData' } })).toBe(1);
    expect(await coll.countDocuments({ min: { $type: 'minKey' } })).toBe(1);
    expect(await coll.countDocuments({ nul: { $type: 'null' } })).toBe(1);
  });

  it('timestamps compare with each other, not with numbers', async () => {
    const other = fresh();
    await other.insertMany([
      { _id: 1, ts: new Timestamp({ t: 100, i: 1 }) },
      { _id: 2, ts: new Timestamp({ t: 100, i: 2 }) },
      { _id: 3, ts: new Timestamp({ t: 200, i: 0 }) },
      { _id: 4, ts: 5 },
    ]);
    const after = await other.find({ ts: { $gt: new Timestamp({ t: 100, i: 1 }) } }).toArray();
    expect(after.map((d) => d._id)).toEqual([2, 3]);
    const sorted = await other.find().sort({ ts: -1 }).toArray();
    expect(sorted.map((d) => d._id)).toEqual([3, 2, 1, 4]);
  });

  it('keeps exact types in projections and findOneAndUpdate results', async () => {
    const projected = await coll.findOne(
      { _id: 1 },
      {
        projection: { int64Big: 1, doubleIntegral: 1, decimal: 1 },
        promoteValues: false,
      },
    );
    expect(bsonType(projected?.doubleIntegral)).toBe('Double');
    expect((projected?.int64Big as Long).toString()).toBe('9007199254740993');
    const updated = await coll.findOneAndUpdate(
      { _id: 1 },
      { $set: { touched: true } },
      { returnDocument: 'after', promoteValues: false },
    );
    expect(bsonType(updated?.doubleIntegral)).toBe('Double');
    expect(bsonType(updated?.int64)).toBe('Long');
  });
});

describe('$inc keeps the numeric type', () => {
  it('Int32, Long, Double and Decimal128 stay what they were', async () => {
    const coll = fresh();
    await coll.insertOne({
      _id: 1,
      i: new Int32(5),
      l: Long.fromString('9007199254740993'),
      d: new Double(2.5),
      di: new Double(2),
      m: Decimal128.fromString('1.1'),
    });
    await coll.updateOne(
      { _id: 1 },
      {
        $inc: { i: 1, l: 1, d: 1, di: 1, m: 1 },
      },
    );
    const doc = await raw(coll);
    expect(bsonType(doc.i)).toBe('Int32');
    expect((doc.i as Int32).value).toBe(6);
    expect(bsonType(doc.l)).toBe('Long');
    expect((doc.l as Long).toString()).toBe('9007199254740994');
    expect(bsonType(doc.d)).toBe('Double');
    expect((doc.d as Double).value).toBe(3.5);
    expect(bsonType(doc.di)).toBe('Double');
    expect((doc.di as Double).value).toBe(3);
    expect(bsonType(doc.m)).toBe('Decimal128');
    expect((doc.m as Decimal128).toString()).toBe('2.1');
  });

  it('promotes by the wider operand: Int32 + Long -> Long, Int32 + Double -> Double', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, a: new Int32(1), b: new Int32(1), c: new Int32(1) });
    await coll.updateOne(
      { _id: 1 },
      {
        $inc: { a: Long.fromNumber(2), b: new Double(0.5), c: Decimal128.fromString('0.25') },
      },
    );
    const doc = await raw(coll);
    expect(bsonType(doc.a)).toBe('Long');
    expect((doc.a as Long).toNumber()).toBe(3);
    expect(bsonType(doc.b)).toBe('Double');
    expect((doc.b as Double).value).toBe(1.5);
    expect(bsonType(doc.c)).toBe('Decimal128');
    expect((doc.c as Decimal128).toString()).toBe('1.25');
  });

  it('Int32 overflow becomes Long; $inc on a missing field creates it with the operand type', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, i: new Int32(2147483647) });
    await coll.updateOne(
      { _id: 1 },
      {
        $inc: { i: new Int32(1), created: Long.fromNumber(7) },
      },
    );
    const doc = await raw(coll);
    expect(bsonType(doc.i)).toBe('Long');
    expect((doc.i as Long).toString()).toBe('2147483648');
    expect(bsonType(doc.created)).toBe('Long');
  });

  it('$mul and $set keep the types they are given', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, l: Long.fromNumber(3), i: new Int32(3) });
    await coll.updateOne(
      { _id: 1 },
      {
        $mul: { l: new Int32(2), i: new Double(1) },
        $set: { d: new Double(4), x: Decimal128.fromString('0.1') },
      },
    );
    const doc = await raw(coll);
    expect(bsonType(doc.l)).toBe('Long');
    expect((doc.l as Long).toNumber()).toBe(6);
    expect(bsonType(doc.i)).toBe('Double');
    expect(bsonType(doc.d)).toBe('Double');
    expect(bsonType(doc.x)).toBe('Decimal128');
  });
});

describe('sort order across BSON types', () => {
  it('orders mixed types as MongoDB does', async () => {
    const coll = fresh();
    // Inserted out of order; `v` holds one value of each type.
    const values: [string, unknown][] = [
      ['regex', /abc/],
      ['date', new Date('2020-01-01')],
      ['maxKey', new MaxKey()],
      ['string', 'hello'],
      ['objectId', new ObjectId('65a1b2c3d4e5f60718293a4b')],
      ['bool', true],
      ['null', null],
      ['number', 42],
      ['timestamp', new Timestamp({ t: 1, i: 1 })],
      ['object', { a: 1 }],
      ['binData', new Binary(Buffer.from([1, 2, 3]))],
      ['array', [[1]]],
      ['minKey', new MinKey()],
    ];
    await coll.insertMany(values.map(([type, v]) => ({ _id: type, v })));
    const expected = [
      'minKey',
      'null',
      'number',
      'string',
      'object',
      'array',
      'binData',
      'objectId',
      'bool',
      'date',
      'timestamp',
      'regex',
      'maxKey',
    ];
    const ascending = await coll.find().sort({ v: 1 }).toArray();
    expect(ascending.map((d) => d._id)).toEqual(expected);
    const descending = await coll.find().sort({ v: -1 }).toArray();
    expect(descending.map((d) => d._id)).toEqual([...expected].reverse());
  });

  it('orders the same types the same way through an index', async () => {
    const coll = fresh();
    await coll.createIndex({ v: 1 });
    await coll.insertMany([
      { _id: 'date', v: new Date('2020-01-01') },
      { _id: 'string', v: 'a' },
      { _id: 'bool', v: false },
      { _id: 'null', v: null },
      { _id: 'number', v: -5 },
      { _id: 'objectId', v: new ObjectId() },
    ]);
    const docs = await coll.find().sort({ v: 1 }).hint({ v: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual([
      'null',
      'number',
      'string',
      'objectId',
      'bool',
      'date',
    ]);
  });

  it('interleaves numbers of different types by value', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 'int3', v: new Int32(3) },
      { _id: 'dec2.5', v: Decimal128.fromString('2.5') },
      { _id: 'long2', v: Long.fromNumber(2) },
      { _id: 'double1.5', v: new Double(1.5) },
      { _id: 'int1', v: new Int32(1) },
      { _id: 'double-0.5', v: new Double(-0.5) },
      { _id: 'longBig', v: Long.fromString('9007199254740993') },
      { _id: 'double1e300', v: new Double(1e300) },
    ]);
    const docs = await coll.find().sort({ v: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual([
      'double-0.5',
      'int1',
      'double1.5',
      'long2',
      'dec2.5',
      'int3',
      'longBig',
      'double1e300',
    ]);
    expect(await coll.countDocuments({ v: { $gt: 1.5, $lt: 3 } })).toBe(2);
  });

  it('arrays sort by their smallest element ascending and largest descending', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 'a', v: [1, 10] },
      { _id: 'b', v: [5] },
      { _id: 'c', v: [3, 4] },
      { _id: 'd', v: 7 },
    ]);
    const ascending = await coll.find().sort({ v: 1 }).toArray();
    expect(ascending.map((d) => d._id)).toEqual(['a', 'c', 'b', 'd']);
    const descending = await coll.find().sort({ v: -1 }).toArray();
    expect(descending.map((d) => d._id)).toEqual(['a', 'd', 'b', 'c']);
  });

  it('missing fields sort together with null, before numbers', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, v: 2 },
      { _id: 2 },
      { _id: 3, v: null },
      { _id: 4, v: 'x' },
      { _id: 5, v: 1 },
    ]);
    const ascending = await coll.find().sort({ v: 1, _id: 1 }).toArray();
    expect(ascending.map((d) => d._id)).toEqual([2, 3, 5, 1, 4]);
    const descending = await coll.find().sort({ v: -1, _id: 1 }).toArray();
    expect(descending.map((d) => d._id)).toEqual([4, 1, 5, 2, 3]);
  });

  it('strings compare by code point, case-sensitively', async () => {
    const coll = fresh();
    await coll.insertMany(['b', 'B', 'a', 'A', 'ä', '10', '9'].map((v) => ({ v })));
    const docs = await coll
      .find({}, { projection: { _id: 0 } })
      .sort({ v: 1 })
      .toArray();
    expect(docs.map((d) => d.v)).toEqual(['10', '9', 'A', 'B', 'a', 'b', 'ä']);
  });

  it('embedded documents compare field by field', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 1, v: { a: 2 } },
      { _id: 2, v: { a: 1, b: 5 } },
      { _id: 3, v: { a: 1 } },
      { _id: 4, v: {} },
    ]);
    const docs = await coll.find().sort({ v: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual([4, 3, 2, 1]);
  });
});
