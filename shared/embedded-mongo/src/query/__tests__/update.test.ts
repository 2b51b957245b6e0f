import { Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';

import { bsonTypeName, cloneValue } from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, MongoServerError } from '../../errors';
import {
  applyPipelineUpdate,
  applyReplacement,
  applyUpdate,
  isOperatorUpdate,
  upsertSeed,
  validateUpdate,
} from '../update';
import type { UpdateContext } from '../update';

const NOW = new Date('2024-05-06T07:08:09.010Z');

function captureError(fn: () => unknown): MongoServerError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected a MongoServerError');
}

function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(deepFreeze);
  else if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    Object.values(value).forEach(deepFreeze);
  }
  return Object.freeze(value);
}

/** Applies `update` to a frozen copy of `doc`, so any mutation of the input throws. */
function update(doc: Document, spec: Document, ctx: UpdateContext = {}): Document {
  return applyUpdate(deepFreeze(cloneValue(doc)), spec, { now: NOW, ...ctx }).document;
}

describe('isOperatorUpdate', () => {
  it.each<[string, Document, boolean]>([
    ['an operator update', { $set: { a: 1 } }, true],
    ['several operators', { $set: { a: 1 }, $inc: { b: 1 } }, true],
    ['a replacement', { a: 1, b: 2 }, false],
    ['an empty document (an empty replacement)', {}, false],
    [
      'a replacement with a later $ field (a replacement, as mongod decides by the first field)',
      { a: 1, $set: { b: 1 } },
      false,
    ],
  ])('%s', (_name, spec, expected) => {
    expect(isOperatorUpdate(spec)).toBe(expected);
  });

  it('rejects an operator update with a plain field as an unknown modifier', () => {
    const error = captureError(() => isOperatorUpdate({ $set: { a: 1 }, b: 2 }));
    expect(error.code).toBe(ErrorCode.FailedToParse);
    expect(error.message).toBe(
      'Unknown modifier: b. Expected a valid update modifier or pipeline-style update specified as an array',
    );
  });
});

describe('applyUpdate: operators', () => {
  const oid = new ObjectId('507f1f77bcf86cd799439011');
  it.each<[string, Document, Document, Document]>([
    ['$set a new field', { _id: 1 }, { $set: { a: 1 } }, { _id: 1, a: 1 }],
    [
      '$set an existing field in place',
      { _id: 1, a: 1, b: 2 },
      { $set: { a: 'x' } },
      { _id: 1, a: 'x', b: 2 },
    ],
    [
      '$set a dotted path creates objects',
      { _id: 1 },
      { $set: { 'a.b.c': 1 } },
      { _id: 1, a: { b: { c: 1 } } },
    ],
    [
      '$set into an existing subdocument',
      { _id: 1, a: { b: 1 } },
      { $set: { 'a.c': 2 } },
      { _id: 1, a: { b: 1, c: 2 } },
    ],
    [
      '$set an array element',
      { _id: 1, a: [1, 2, 3] },
      { $set: { 'a.1': 9 } },
      { _id: 1, a: [1, 9, 3] },
    ],
    [
      '$set past the end pads with null',
      { _id: 1, a: [1] },
      { $set: { 'a.3': 4 } },
      { _id: 1, a: [1, null, null, 4] },
    ],
    [
      '$set a field of an array element',
      { _id: 1, a: [{ b: 1 }] },
      { $set: { 'a.0.c': 2 } },
      { _id: 1, a: [{ b: 1, c: 2 }] },
    ],
    [
      '$set a numeric path on a missing field creates objects',
      { _id: 1 },
      { $set: { 'a.0.b': 1 } },
      { _id: 1, a: { 0: { b: 1 } } },
    ],
    [
      '$set a field on an element past the end pads and creates',
      { _id: 1, a: [] },
      { $set: { 'a.1.b': 1 } },
      { _id: 1, a: [null, { b: 1 }] },
    ],
    [
      '$set an object value',
      { _id: 1 },
      { $set: { a: { b: [1, { c: 2 }] } } },
      { _id: 1, a: { b: [1, { c: 2 }] } },
    ],
    [
      '$set a $-prefixed field below the top level',
      { _id: 1 },
      { $set: { a: { $b: 1 } } },
      { _id: 1, a: { $b: 1 } },
    ],
    ['$set with an empty operand', { _id: 1, a: 1 }, { $set: {} }, { _id: 1, a: 1 }],
    ['$unset a field', { _id: 1, a: 1, b: 2 }, { $unset: { a: '' } }, { _id: 1, b: 2 }],
    [
      '$unset a nested field',
      { _id: 1, a: { b: 1, c: 2 } },
      { $unset: { 'a.b': 1 } },
      { _id: 1, a: { c: 2 } },
    ],
    [
      '$unset an array element sets it to null',
      { _id: 1, a: [1, 2, 3] },
      { $unset: { 'a.1': 1 } },
      { _id: 1, a: [1, null, 3] },
    ],
    [
      '$unset a missing or non-viable path',
      { _id: 1, a: 1 },
      { $unset: { b: 1, 'a.b': 1 } },
      { _id: 1, a: 1 },
    ],
    ['$inc an existing number', { _id: 1, a: 1 }, { $inc: { a: 2 } }, { _id: 1, a: 3 }],
    ['$inc a negative amount', { _id: 1, a: 1 }, { $inc: { a: -5 } }, { _id: 1, a: -4 }],
    ['$inc a missing field sets it', { _id: 1 }, { $inc: { 'a.b': 5 } }, { _id: 1, a: { b: 5 } }],
    ['$inc a double', { _id: 1, a: 1.5 }, { $inc: { a: 0.25 } }, { _id: 1, a: 1.75 }],
    ['$mul an existing number', { _id: 1, a: 3 }, { $mul: { a: 4 } }, { _id: 1, a: 12 }],
    ['$mul a missing field sets 0', { _id: 1 }, { $mul: { a: 4 } }, { _id: 1, a: 0 }],
    ['$min lowers', { _id: 1, a: 5 }, { $min: { a: 3 } }, { _id: 1, a: 3 }],
    ['$min keeps a lower value', { _id: 1, a: 5 }, { $min: { a: 8 } }, { _id: 1, a: 5 }],
    ['$min creates a missing field', { _id: 1 }, { $min: { a: 8 } }, { _id: 1, a: 8 }],
    [
      '$min uses BSON order across types (null < numbers)',
      { _id: 1, a: 5 },
      { $min: { a: null } },
      { _id: 1, a: null },
    ],
    ['$max raises', { _id: 1, a: 5 }, { $max: { a: 7 } }, { _id: 1, a: 7 }],
    [
      '$max uses BSON order across types (strings > numbers)',
      { _id: 1, a: 5 },
      { $max: { a: 'x' } },
      { _id: 1, a: 'x' },
    ],
    [
      '$max compares dates',
      { _id: 1, a: new Date(5) },
      { $max: { a: new Date(9) } },
      { _id: 1, a: new Date(9) },
    ],
    [
      '$rename a field (moved to the end)',
      { _id: 1, a: 1, b: 2 },
      { $rename: { a: 'c' } },
      { _id: 1, b: 2, c: 1 },
    ],
    [
      '$rename onto an existing field replaces it in place',
      { _id: 1, a: 1, b: 2, c: 3 },
      { $rename: { c: 'a' } },
      { _id: 1, a: 3, b: 2 },
    ],
    [
      '$rename into a subdocument',
      { _id: 1, a: 1, b: { c: 1 } },
      { $rename: { a: 'b.d' } },
      { _id: 1, b: { c: 1, d: 1 } },
    ],
    [
      '$rename out of a subdocument',
      { _id: 1, b: { c: 1, d: 2 } },
      { $rename: { 'b.c': 'e' } },
      { _id: 1, b: { d: 2 }, e: 1 },
    ],
    [
      '$rename a missing field does nothing',
      { _id: 1, a: 1 },
      { $rename: { x: 'y' } },
      { _id: 1, a: 1 },
    ],
    ['$push a value', { _id: 1, a: [1] }, { $push: { a: 2 } }, { _id: 1, a: [1, 2] }],
    [
      '$push an array as one element',
      { _id: 1, a: [1] },
      { $push: { a: [2, 3] } },
      { _id: 1, a: [1, [2, 3]] },
    ],
    [
      '$push to a missing field creates the array',
      { _id: 1 },
      { $push: { a: 1 } },
      { _id: 1, a: [1] },
    ],
    [
      '$push $each with nothing creates an empty array',
      { _id: 1 },
      { $push: { a: { $each: [] } } },
      { _id: 1, a: [] },
    ],
    [
      '$push an object without $each pushes the object',
      { _id: 1, a: [] },
      { $push: { a: { b: 1 } } },
      { _id: 1, a: [{ b: 1 }] },
    ],
    [
      '$addToSet a new value',
      { _id: 1, a: [1, 2] },
      { $addToSet: { a: 3 } },
      { _id: 1, a: [1, 2, 3] },
    ],
    [
      '$addToSet an existing value',
      { _id: 1, a: [1, 2] },
      { $addToSet: { a: 2 } },
      { _id: 1, a: [1, 2] },
    ],
    [
      '$addToSet compares numbers across types',
      { _id: 1, a: [Long.fromNumber(2)] },
      { $addToSet: { a: 2 } },
      { _id: 1, a: [Long.fromNumber(2)] },
    ],
    [
      '$addToSet a document (field order matters)',
      { _id: 1, a: [{ x: 1, y: 2 }] },
      { $addToSet: { a: { y: 2, x: 1 } } },
      {
        _id: 1,
        a: [
          { x: 1, y: 2 },
          { y: 2, x: 1 },
        ],
      },
    ],
    [
      '$addToSet $each skips duplicates, also within $each',
      { _id: 1, a: [1] },
      { $addToSet: { a: { $each: [1, 2, 2, 3] } } },
      { _id: 1, a: [1, 2, 3] },
    ],
    [
      '$addToSet to a missing field',
      { _id: 1 },
      { $addToSet: { a: { $each: [4, 4, 5] } } },
      { _id: 1, a: [4, 5] },
    ],
    ['$pop the last element', { _id: 1, a: [1, 2, 3] }, { $pop: { a: 1 } }, { _id: 1, a: [1, 2] }],
    [
      '$pop the first element',
      { _id: 1, a: [1, 2, 3] },
      { $pop: { a: -1 } },
      { _id: 1, a: [2, 3] },
    ],
    ['$pop an empty array', { _id: 1, a: [] }, { $pop: { a: 1 } }, { _id: 1, a: [] }],
    ['$pop a missing field', { _id: 1 }, { $pop: { a: 1 } }, { _id: 1 }],
    ['$pull a value', { _id: 1, a: [1, 2, 1, 3] }, { $pull: { a: 1 } }, { _id: 1, a: [2, 3] }],
    [
      '$pull an ObjectId',
      { _id: 1, a: [oid, 1] },
      { $pull: { a: new ObjectId(oid.toHexString()) } },
      { _id: 1, a: [1] },
    ],
    [
      '$pull a condition on scalars',
      { _id: 1, a: [1, 5, 8, 2] },
      { $pull: { a: { $gte: 5 } } },
      { _id: 1, a: [1, 2] },
    ],
    [
      '$pull an $in condition',
      { _id: 1, a: ['x', 'y', 'z'] },
      { $pull: { a: { $in: ['x', 'z'] } } },
      { _id: 1, a: ['y'] },
    ],
    [
      '$pull a regex',
      { _id: 1, a: ['apple', 'berry', 'avocado'] },
      { $pull: { a: /^a/ } },
      { _id: 1, a: ['berry'] },
    ],
    [
      '$pull a condition on documents (partial match)',
      { _id: 1, a: [{ x: 1, y: 1 }, { x: 2, y: 1 }, 3] },
      { $pull: { a: { x: 1 } } },
      { _id: 1, a: [{ x: 2, y: 1 }, 3] },
    ],
    [
      '$pull a condition on document fields',
      {
        _id: 1,
        a: [
          { s: 8, i: 'A' },
          { s: 9, i: 'B' },
        ],
      },
      { $pull: { a: { s: { $gt: 8 }, i: 'B' } } },
      { _id: 1, a: [{ s: 8, i: 'A' }] },
    ],
    [
      '$pull a condition on Int64 values',
      { _id: 1, a: [Long.fromNumber(5), Long.fromNumber(9)] },
      { $pull: { a: { $gt: 6 } } },
      { _id: 1, a: [Long.fromNumber(5)] },
    ],
    [
      '$pull an $elemMatch on nested arrays',
      {
        _id: 1,
        a: [
          [1, 2],
          [3, 4],
        ],
      },
      { $pull: { a: { $elemMatch: { $gt: 3 } } } },
      { _id: 1, a: [[1, 2]] },
    ],
    ['$pull from a missing field', { _id: 1 }, { $pull: { a: 1 } }, { _id: 1 }],
    [
      '$pullAll values',
      { _id: 1, a: [1, 2, 3, 2, 4] },
      { $pullAll: { a: [2, 4] } },
      { _id: 1, a: [1, 3] },
    ],
    [
      '$pullAll compares numbers across types',
      { _id: 1, a: [1, 2.0, Long.fromNumber(3)] },
      { $pullAll: { a: [3, new Double(1)] } },
      { _id: 1, a: [2] },
    ],
    ['$bit and', { _id: 1, a: 13 }, { $bit: { a: { and: 10 } } }, { _id: 1, a: 8 }],
    ['$bit or', { _id: 1, a: 13 }, { $bit: { a: { or: 2 } } }, { _id: 1, a: 15 }],
    ['$bit xor', { _id: 1, a: 13 }, { $bit: { a: { xor: 5 } } }, { _id: 1, a: 8 }],
    [
      '$bit several operations in order',
      { _id: 1, a: 12 },
      { $bit: { a: { and: 6, or: 1 } } },
      { _id: 1, a: 5 },
    ],
    [
      '$bit with an Int64 operand gives an Int64',
      { _id: 1, a: 1 },
      { $bit: { a: { or: Long.fromNumber(2) } } },
      { _id: 1, a: Long.fromNumber(3) },
    ],
    [
      '$bit on a missing field starts from 0',
      { _id: 1 },
      { $bit: { a: { or: 6 } } },
      { _id: 1, a: 6 },
    ],
    [
      '$setOnInsert is ignored outside an upsert insert',
      { _id: 1, a: 1 },
      { $setOnInsert: { a: 2, b: 3 } },
      { _id: 1, a: 1 },
    ],
  ])('%s', (_name, doc, spec, expected) => {
    expect(update(doc, spec)).toStrictEqual(expected);
  });

  it('$currentDate sets a date or a timestamp', () => {
    const result = update(
      { _id: 1, a: 1 },
      {
        $currentDate: { a: true, b: { $type: 'date' }, c: { $type: 'timestamp' } },
      },
    );
    expect(result.a).toStrictEqual(NOW);
    expect(result.b).toStrictEqual(NOW);
    expect(result.c).toBeInstanceOf(Timestamp);
    expect((result.c as Timestamp).t).toBe(Math.floor(NOW.getTime() / 1000));
  });

  it('$currentDate defaults to the current time', () => {
    const before = Date.now();
    const { document } = applyUpdate({ _id: 1 }, { $currentDate: { a: true } });
    expect((document.a as Date).getTime()).toBeGreaterThanOrEqual(before);
  });

  it('$setOnInsert applies when building an upsert', () => {
    const seed = upsertSeed({ _id: 7, k: 'x' });
    const result = update(
      seed,
      { $set: { a: 1 }, $setOnInsert: { created: true } },
      { isUpsertInsert: true },
    );
    expect(result).toStrictEqual({ _id: 7, k: 'x', a: 1, created: true });
  });

  it('applies several operators in one update', () => {
    const result = update(
      { _id: 1, n: 1, tags: ['a'], old: 1, gone: true },
      { $inc: { n: 1 }, $push: { tags: 'b' }, $rename: { old: 'new' }, $unset: { gone: 1 } },
    );
    expect(result).toStrictEqual({ _id: 1, n: 2, tags: ['a', 'b'], new: 1 });
  });
});

describe('applyUpdate: numeric types', () => {
  it.each<[string, unknown, Document, string, string]>([
    ['$inc Int32 + Int32 stays Int32', 5, { $inc: { a: 2 } }, 'int', '7'],
    ['$inc Int32 overflow becomes Int64', 2147483647, { $inc: { a: 1 } }, 'long', '2147483648'],
    ['$inc Double(2.0) + Int32 stays Double', new Double(2), { $inc: { a: 1 } }, 'double', '3'],
    ['$inc Int32 + Double gives Double', 2, { $inc: { a: new Double(1) } }, 'double', '3'],
    ['$inc Int64 + Int32 stays Int64', Long.fromNumber(5), { $inc: { a: 1 } }, 'long', '6'],
    ['$inc Int32 + Int64 gives Int64', 5, { $inc: { a: Long.fromNumber(1) } }, 'long', '6'],
    [
      '$inc Decimal128 stays Decimal128',
      Decimal128.fromString('1.5'),
      { $inc: { a: 1 } },
      'decimal',
      '2.5',
    ],
    [
      '$inc Int32 + Decimal128 gives Decimal128',
      1,
      { $inc: { a: Decimal128.fromString('0.1') } },
      'decimal',
      '1.1',
    ],
    ['$inc an Int32 wrapper operand', 1, { $inc: { a: new Int32(2) } }, 'int', '3'],
    ['$mul Int32 stays Int32', 6, { $mul: { a: 7 } }, 'int', '42'],
    ['$mul Double(2.0) stays Double', new Double(2), { $mul: { a: 3 } }, 'double', '6'],
    ['$mul Int64 stays Int64', Long.fromNumber(6), { $mul: { a: 7 } }, 'long', '42'],
    [
      '$mul Decimal128 stays Decimal128',
      Decimal128.fromString('1.5'),
      { $mul: { a: 2 } },
      'decimal',
      '3.0',
    ],
    ['$mul Int32 overflow becomes Int64', 65536, { $mul: { a: 65536 } }, 'long', '4294967296'],
  ])('%s', (_name, start, spec, type, value) => {
    const result = update({ _id: 1, a: start }, spec);
    expect(bsonTypeName(result.a)).toBe(type);
    expect(String(result.a instanceof Double ? result.a.value : result.a)).toBe(value);
  });

  it.each<[string, unknown, string]>([
    ['Int32', 3, 'int'],
    ['Double', 2.5, 'double'],
    ['Int64', Long.fromNumber(3), 'long'],
    ['Decimal128', Decimal128.fromString('2.5'), 'decimal'],
  ])('$mul on a missing field creates a 0 of the %s multiplier type', (_name, operand, type) => {
    const result = update({ _id: 1 }, { $mul: { a: operand } });
    expect(bsonTypeName(result.a)).toBe(type);
  });

  it('stores Int32 wrappers from the update as plain numbers (exact form)', () => {
    const result = update({ _id: 1 }, { $set: { a: new Int32(4), b: [new Int32(5)] } });
    expect(result).toStrictEqual({ _id: 1, a: 4, b: [5] });
  });

  it('$set replaces the type of an equal number (not a no-op)', () => {
    const outcome = applyUpdate({ _id: 1, a: 1 }, { $set: { a: new Double(1) } });
    expect(outcome.modified).toBe(true);
    expect(bsonTypeName(outcome.document.a)).toBe('double');
  });

  it('$max compares across numeric types and keeps the stored one when equal', () => {
    const outcome = applyUpdate({ _id: 1, a: Long.fromNumber(5) }, { $max: { a: 5 } });
    expect(outcome.modified).toBe(false);
    expect(outcome.document.a).toStrictEqual(Long.fromNumber(5));
  });
});

describe('applyUpdate: field order', () => {
  it('appends new fields in lexicographic order across operators, as mongod does', () => {
    const result = update({ _id: 1, m: 1 }, { $set: { z: 1, b: 1 }, $inc: { a: 1 } });
    expect(Object.keys(result)).toEqual(['_id', 'm', 'a', 'b', 'z']);
  });

  it('orders array indexes numerically', () => {
    const result = update({ _id: 1, a: [] }, { $set: { 'a.10': 'ten', 'a.2': 'two' } });
    const array = result.a as unknown[];
    expect(array).toHaveLength(11);
    expect(array[2]).toBe('two');
    expect(array[10]).toBe('ten');
  });

  it('keeps existing fields in place', () => {
    const result = update({ _id: 1, a: 1, b: 2, c: 3 }, { $set: { b: 20, d: 4 } });
    expect(Object.keys(result)).toEqual(['_id', 'a', 'b', 'c', 'd']);
  });
});

describe('applyUpdate: positional updates', () => {
  it.each<[string, Document, Document, UpdateContext, Document]>([
    [
      '$ sets the matched element',
      { _id: 1, a: [1, 2, 3] },
      { $set: { 'a.$': 9 } },
      { positionalIndex: 2 },
      { _id: 1, a: [1, 2, 9] },
    ],
    [
      '$ updates a field of the matched element',
      { _id: 1, a: [{ n: 1 }, { n: 2 }] },
      { $inc: { 'a.$.n': 10 } },
      { positionalIndex: 1 },
      { _id: 1, a: [{ n: 1 }, { n: 12 }] },
    ],
    [
      '$ merges with an explicit path to another field of the same element',
      { _id: 1, a: [{ n: 1 }] },
      { $set: { 'a.$.x': 1, 'a.0.y': 2 } },
      { positionalIndex: 0 },
      { _id: 1, a: [{ n: 1, x: 1, y: 2 }] },
    ],
    [
      '$[] updates every element',
      { _id: 1, a: [1, 2, 3] },
      { $inc: { 'a.$[]': 10 } },
      {},
      { _id: 1, a: [11, 12, 13] },
    ],
    [
      '$[] updates a field of every element',
      { _id: 1, a: [{ n: 1 }, { n: 2 }] },
      { $set: { 'a.$[].ok': true } },
      {},
      {
        _id: 1,
        a: [
          { n: 1, ok: true },
          { n: 2, ok: true },
        ],
      },
    ],
    [
      '$[] on an empty array does nothing',
      { _id: 1, a: [] },
      { $set: { 'a.$[]': 1 } },
      {},
      { _id: 1, a: [] },
    ],
    [
      '$[] twice for nested arrays',
      { _id: 1, a: [[1, 2], [3]] },
      { $mul: { 'a.$[].$[]': 2 } },
      {},
      { _id: 1, a: [[2, 4], [6]] },
    ],
    [
      '$[id] updates the matching elements',
      { _id: 1, a: [1, 5, 9] },
      { $set: { 'a.$[x]': 0 } },
      { arrayFilters: [{ x: { $gte: 5 } }] },
      { _id: 1, a: [1, 0, 0] },
    ],
    [
      '$[id] with a filter on a field of the elements',
      {
        _id: 1,
        grades: [
          { grade: 80, mean: 75 },
          { grade: 85, mean: 90 },
          { grade: 95, mean: 85 },
        ],
      },
      { $set: { 'grades.$[elem].mean': 100 } },
      { arrayFilters: [{ 'elem.grade': { $gte: 85 } }] },
      {
        _id: 1,
        grades: [
          { grade: 80, mean: 75 },
          { grade: 85, mean: 100 },
          { grade: 95, mean: 100 },
        ],
      },
    ],
    [
      '$[id] with a filter on several fields',
      {
        _id: 1,
        a: [
          { x: 1, y: 1 },
          { x: 1, y: 2 },
        ],
      },
      { $set: { 'a.$[e].hit': true } },
      { arrayFilters: [{ 'e.x': 1, 'e.y': { $gt: 1 } }] },
      {
        _id: 1,
        a: [
          { x: 1, y: 1 },
          { x: 1, y: 2, hit: true },
        ],
      },
    ],
    [
      '$[id] with an $or filter',
      { _id: 1, a: [1, 2, 3] },
      { $set: { 'a.$[e]': 0 } },
      { arrayFilters: [{ $or: [{ e: 1 }, { e: 3 }] }] },
      { _id: 1, a: [0, 2, 0] },
    ],
    [
      'nested $[id] filters',
      {
        _id: 1,
        s: [
          { k: 'a', g: [{ v: 1 }, { v: 9 }] },
          { k: 'b', g: [{ v: 9 }] },
        ],
      },
      { $inc: { 's.$[o].g.$[i].v': 1 } },
      { arrayFilters: [{ 'o.k': 'a' }, { 'i.v': { $gt: 5 } }] },
      {
        _id: 1,
        s: [
          { k: 'a', g: [{ v: 1 }, { v: 10 }] },
          { k: 'b', g: [{ v: 9 }] },
        ],
      },
    ],
    [
      'different identifiers on different fields of the same element',
      { _id: 1, a: [{ x: 0, y: 0 }] },
      { $set: { 'a.$[i].x': 1, 'a.$[j].y': 2 } },
      { arrayFilters: [{ 'i.x': 0 }, { 'j.y': 0 }] },
      { _id: 1, a: [{ x: 1, y: 2 }] },
    ],
    [
      '$[id] matches Int64 elements by value',
      { _id: 1, a: [Long.fromNumber(1), Long.fromNumber(7)] },
      { $set: { 'a.$[x]': 0 } },
      { arrayFilters: [{ x: 7 }] },
      { _id: 1, a: [Long.fromNumber(1), 0] },
    ],
    [
      '$unset through $[] nulls the elements',
      { _id: 1, a: [1, 2] },
      { $unset: { 'a.$[]': 1 } },
      {},
      { _id: 1, a: [null, null] },
    ],
  ])('%s', (_name, doc, spec, ctx, expected) => {
    expect(update(doc, spec, ctx)).toStrictEqual(expected);
  });
});

describe('applyUpdate: $push modifiers', () => {
  it.each<[string, unknown[], Document, unknown[]]>([
    ['$each appends several values', [1], { $each: [2, 3] }, [1, 2, 3]],
    ['$position inserts at an index', [1, 4], { $each: [2, 3], $position: 1 }, [1, 2, 3, 4]],
    ['$position 0 inserts at the front', [3], { $each: [1, 2], $position: 0 }, [1, 2, 3]],
    ['$position past the end appends', [1], { $each: [2], $position: 10 }, [1, 2]],
    [
      'negative $position counts from the end',
      [1, 2, 5],
      { $each: [3, 4], $position: -1 },
      [1, 2, 3, 4, 5],
    ],
    [
      'negative $position beyond the start inserts at the front',
      [2],
      { $each: [1], $position: -5 },
      [1, 2],
    ],
    ['$slice keeps the first elements', [1, 2], { $each: [3, 4], $slice: 3 }, [1, 2, 3]],
    ['negative $slice keeps the last elements', [1, 2], { $each: [3, 4], $slice: -2 }, [3, 4]],
    ['$slice 0 empties the array', [1, 2], { $each: [3], $slice: 0 }, []],
    ['$sort 1 sorts whole elements', [3, 1], { $each: [2], $sort: 1 }, [1, 2, 3]],
    ['$sort -1 sorts whole elements descending', [3, 1], { $each: [2], $sort: -1 }, [3, 2, 1]],
    [
      '$sort uses BSON order across types',
      ['b', 2, null],
      { $each: [{ x: 1 }], $sort: 1 },
      [null, 2, 'b', { x: 1 }],
    ],
    [
      '$sort by a field of the documents',
      [
        { n: 'b', s: 2 },
        { n: 'a', s: 9 },
      ],
      { $each: [{ n: 'c', s: 5 }], $sort: { s: -1 } },
      [
        { n: 'a', s: 9 },
        { n: 'c', s: 5 },
        { n: 'b', s: 2 },
      ],
    ],
    [
      '$sort by a dotted field, missing fields first',
      [{ p: { q: 2 } }, { r: 1 }],
      { $each: [{ p: { q: 1 } }], $sort: { 'p.q': 1 } },
      [{ r: 1 }, { p: { q: 1 } }, { p: { q: 2 } }],
    ],
    [
      '$sort then $slice keeps the top elements',
      [{ s: 5 }, { s: 1 }],
      { $each: [{ s: 9 }, { s: 3 }], $sort: { s: -1 }, $slice: 2 },
      [{ s: 9 }, { s: 5 }],
    ],
    ['$sort with an empty $each sorts the existing array', [2, 1], { $each: [], $sort: 1 }, [1, 2]],
  ])('%s', (_name, start, modifier, expected) => {
    expect(update({ _id: 1, a: start }, { $push: { a: modifier } }).a).toStrictEqual(expected);
  });
});

describe('applyUpdate: modified', () => {
  it.each<[string, Document, Document, boolean]>([
    [
      '$set to the same value',
      { _id: 1, a: 1, b: { c: [1] } },
      { $set: { a: 1, b: { c: [1] } } },
      false,
    ],
    ['$set to a different value', { _id: 1, a: 1 }, { $set: { a: 2 } }, true],
    [
      '$set a document with another field order',
      { _id: 1, a: { x: 1, y: 2 } },
      { $set: { a: { y: 2, x: 1 } } },
      true,
    ],
    ['$unset a missing field', { _id: 1 }, { $unset: { a: 1 } }, false],
    ['$inc by 0', { _id: 1, a: 1 }, { $inc: { a: 0 } }, false],
    ['$mul by 1', { _id: 1, a: 3 }, { $mul: { a: 1 } }, false],
    ['$min with a higher value', { _id: 1, a: 1 }, { $min: { a: 3 } }, false],
    ['$addToSet an existing value', { _id: 1, a: [1] }, { $addToSet: { a: 1 } }, false],
    ['$push with an empty $each', { _id: 1, a: [1] }, { $push: { a: { $each: [] } } }, false],
    ['$pull nothing', { _id: 1, a: [1] }, { $pull: { a: 2 } }, false],
    ['$pop an empty array', { _id: 1, a: [] }, { $pop: { a: 1 } }, false],
    ['$rename a missing field', { _id: 1 }, { $rename: { a: 'b' } }, false],
    ['$bit that changes nothing', { _id: 1, a: 3 }, { $bit: { a: { or: 1 } } }, false],
    ['$setOnInsert outside an insert', { _id: 1 }, { $setOnInsert: { a: 1 } }, false],
    ['$set _id to its own value', { _id: 1, a: 1 }, { $set: { _id: 1 } }, false],
    ['$currentDate (always a change)', { _id: 1, a: NOW }, { $currentDate: { a: true } }, true],
  ])('%s', (_name, doc, spec, modified) => {
    expect(applyUpdate(doc, spec, { now: NOW }).modified).toBe(modified);
  });
});

describe('applyUpdate: input is never mutated', () => {
  it.each<[string, Document, UpdateContext]>([
    ['$set', { $set: { 'a.b': 1, 'n.0': 5, x: { y: 1 } } }, {}],
    ['$unset', { $unset: { 'a.b': 1, 'l.0': 1 } }, {}],
    ['$inc and $mul', { $inc: { 'n.0': 1 }, $mul: { 'n.1': 2 } }, {}],
    ['$push and $pop', { $push: { l: { $each: [9], $sort: 1 } }, $pop: { n: 1 } }, {}],
    ['$pull and $addToSet', { $pull: { l: 1 }, $addToSet: { n: 4 } }, {}],
    ['$rename', { $rename: { 'a.b': 'c' } }, {}],
    ['$[] and $[id]', { $inc: { 'l.$[]': 1, 'n.$[x]': 1 } }, { arrayFilters: [{ x: { $gt: 1 } }] }],
    ['positional $', { $set: { 'l.$': 0 } }, { positionalIndex: 0 }],
  ])('%s', (_name, spec, ctx) => {
    const doc = { _id: 1, a: { b: 2 }, n: [1, 2, 3], l: [3, 1, 2] };
    const snapshot = cloneValue(doc);
    const outcome = applyUpdate(deepFreeze(doc), spec, ctx);
    expect(doc).toStrictEqual(snapshot);
    expect(outcome.modified).toBe(true);
  });

  it('does not share values between results of the same update object', () => {
    const spec = { $set: { a: { b: [1] } }, $push: { l: { c: 1 } } };
    const first = applyUpdate({ _id: 1, l: [] }, spec).document;
    const second = applyUpdate({ _id: 2, l: [] }, spec).document;
    expect(first.a).not.toBe(second.a);
    expect((first.l as unknown[])[0]).not.toBe((second.l as unknown[])[0]);
    expect(second).toStrictEqual({ _id: 2, l: [{ c: 1 }], a: { b: [1] } });
  });

  it('does not share values between the update and the result', () => {
    const value = { deep: [1] };
    const spec = { $set: { a: value } };
    const result = applyUpdate({ _id: 1 }, spec).document;
    (result.a as { deep: number[] }).deep.push(2);
    expect(value.deep).toEqual([1]);
  });
});

describe('upsertSeed', () => {
  it.each<[string, Document, Document]>([
    ['equality fields', { a: 1, b: 'x' }, { a: 1, b: 'x' }],
    ['$eq', { a: { $eq: 5 } }, { a: 5 }],
    ['_id first', { b: 1, _id: 3 }, { _id: 3, b: 1 }],
    ['dotted paths create nested objects', { 'a.b': 1, 'a.c': 2 }, { a: { b: 1, c: 2 } }],
    [
      'operators other than $eq contribute nothing',
      { a: { $gt: 1 }, b: { $in: [1, 2] }, c: 1 },
      { c: 1 },
    ],
    ['$eq next to another operator', { a: { $eq: 2, $exists: true } }, { a: 2 }],
    ['$and clauses', { $and: [{ a: 1 }, { $and: [{ b: { $eq: 2 } }] }] }, { a: 1, b: 2 }],
    ['a one-clause $or', { $or: [{ a: 1 }] }, { a: 1 }],
    [
      'a $or with several clauses contributes nothing',
      { $or: [{ a: 1 }, { b: 2 }], c: 3 },
      { c: 3 },
    ],
    ['$nor and $expr contribute nothing', { $nor: [{ a: 1 }], $expr: { $eq: ['$a', 1] } }, {}],
    ['a regex contributes nothing', { a: /x/ }, {}],
    ['a document value is an equality', { a: { b: 1 } }, { a: { b: 1 } }],
    ['null is an equality', { a: null }, { a: null }],
    ['an array is an equality', { a: [1, 2] }, { a: [1, 2] }],
    ['fields in path order', { z: 1, a: 2, m: 3 }, { a: 2, m: 3, z: 1 }],
    ['an _id operator contributes nothing', { _id: { $in: [1] }, a: 1 }, { a: 1 }],
  ])('%s', (_name, filter, expected) => {
    expect(upsertSeed(filter)).toStrictEqual(expected);
  });

  it.each<[string, Document, string]>([
    [
      'the same path twice',
      { $and: [{ a: 1 }, { a: 2 }] },
      "cannot infer query fields to set, path 'a' is matched twice",
    ],
    [
      'a path and its prefix',
      { a: { b: 1 }, 'a.c': 2 },
      "cannot infer query fields to set, both paths 'a.c' and 'a' are matched",
    ],
  ])('rejects %s', (_name, filter, message) => {
    const error = captureError(() => upsertSeed(filter));
    expect(error.code).toBe(ErrorCode.NotSingleValueField);
    expect(error.message).toBe(message);
  });

  it('puts a dotted _id first', () => {
    expect(Object.keys(upsertSeed({ A: 1, '_id.x': 2 }))).toEqual(['_id', 'A']);
  });

  it('does not share values with the filter', () => {
    const filter = { a: { b: [1] } };
    const seed = upsertSeed(filter);
    ((seed.a as Document).b as number[]).push(2);
    expect(filter.a.b).toEqual([1]);
  });
});

describe('applyUpdate and validateUpdate: errors', () => {
  const id = new ObjectId('507f1f77bcf86cd799439011');
  it.each<[string, Document, Document, UpdateContext, number, string]>([
    [
      'an unknown operator',
      { _id: 1 },
      { $foo: { a: 1 } },
      {},
      ErrorCode.FailedToParse,
      'Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array',
    ],
    [
      'a non-document operand',
      { _id: 1 },
      { $set: 1 },
      {},
      ErrorCode.FailedToParse,
      'Modifiers operate on fields but we found type int instead. For example: {$mod: {<field>: ...}} not {$set: 1}',
    ],
    [
      'the same path in two operators',
      { _id: 1 },
      { $set: { a: 1 }, $inc: { a: 1 } },
      {},
      ErrorCode.ConflictingUpdateOperators,
      "Updating the path 'a' would create a conflict at 'a'",
    ],
    [
      'a path below another',
      { _id: 1 },
      { $set: { 'a.b': 1, a: 2 } },
      {},
      ErrorCode.ConflictingUpdateOperators,
      "Updating the path 'a' would create a conflict at 'a'",
    ],
    [
      'a path above another',
      { _id: 1 },
      { $set: { a: 1 }, $unset: { 'a.b': 1 } },
      {},
      ErrorCode.ConflictingUpdateOperators,
      "Updating the path 'a.b' would create a conflict at 'a'",
    ],
    [
      '$rename onto a path another operator updates',
      { _id: 1 },
      { $set: { b: 1 }, $rename: { a: 'b' } },
      {},
      ErrorCode.ConflictingUpdateOperators,
      "Updating the path 'b' would create a conflict at 'b'",
    ],
    [
      'an empty path',
      { _id: 1 },
      { $set: { '': 1 } },
      {},
      56,
      'An empty update path is not valid.',
    ],
    [
      'an empty path part',
      { _id: 1 },
      { $set: { 'a..b': 1 } },
      {},
      56,
      "The update path 'a..b' contains an empty field name, which is not allowed.",
    ],
    [
      'a top-level $ field',
      { _id: 1 },
      { $set: { $x: 1 } },
      {},
      ErrorCode.DollarPrefixedFieldName,
      "The dollar ($) prefixed field '$x' in '$x' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.",
    ],
    [
      'the positional operator first',
      { _id: 1 },
      { $set: { '$.a': 1 } },
      {},
      ErrorCode.BadValue,
      "Cannot have positional (i.e. '$') element in the first position in path '$.a'",
    ],
    [
      'two positional operators',
      { _id: 1 },
      { $set: { 'a.$.b.$': 1 } },
      { positionalIndex: 0 },
      ErrorCode.BadValue,
      "Too many positional (i.e. '$') elements found in path 'a.$.b.$'",
    ],
    [
      'the positional operator without a match',
      { _id: 1, a: [1] },
      { $set: { 'a.$': 1 } },
      {},
      ErrorCode.BadValue,
      'The positional operator did not find the match needed from the query.',
    ],
    [
      'an identifier without a filter',
      { _id: 1, a: [1] },
      { $set: { 'a.$[x]': 1 } },
      {},
      ErrorCode.BadValue,
      "No array filter found for identifier 'x' in path 'a.$[x]'",
    ],
    [
      'an unused array filter',
      { _id: 1 },
      { $set: { a: 1 } },
      { arrayFilters: [{ x: 1 }] },
      ErrorCode.FailedToParse,
      "The array filter for identifier 'x' was not used in the update { $set: { a: 1 } }",
    ],
    [
      'an array filter with two identifiers',
      { _id: 1, a: [1] },
      { $set: { 'a.$[x]': 1 } },
      { arrayFilters: [{ x: 1, y: 1 }] },
      ErrorCode.FailedToParse,
      "Error parsing array filter :: caused by :: Expected a single top-level field name, found 'x' and 'y'",
    ],
    [
      'two array filters with the same identifier',
      { _id: 1, a: [1] },
      { $set: { 'a.$[x]': 1 } },
      { arrayFilters: [{ x: 1 }, { x: 2 }] },
      ErrorCode.FailedToParse,
      'Found multiple array filters with the same top-level field name x',
    ],
    [
      'an array filter without an identifier',
      { _id: 1, a: [1] },
      { $set: { 'a.$[x]': 1 } },
      { arrayFilters: [{ x: 1 }, {}] },
      ErrorCode.FailedToParse,
      'Cannot use an expression without a top-level field name in arrayFilters',
    ],
    [
      'an identifier that is not alphanumeric',
      { _id: 1, a: [1] },
      { $set: { 'a.$[X]': 1 } },
      { arrayFilters: [{ X: 1 }] },
      ErrorCode.BadValue,
      "Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found 'X'",
    ],
    [
      'array updates on a missing path',
      { _id: 1 },
      { $set: { 'a.$[]': 1 } },
      {},
      ErrorCode.BadValue,
      "The path 'a' must exist in the document in order to apply array updates.",
    ],
    [
      'array updates on a non-array',
      { _id: 1, a: 1 },
      { $set: { 'a.$[]': 1 } },
      {},
      ErrorCode.BadValue,
      'Cannot apply array updates to non-array element a: 1',
    ],
    [
      'two array filters updating the same element',
      { _id: 1, a: [0] },
      { $set: { 'a.$[i]': 2, 'a.$[j]': 3 } },
      { arrayFilters: [{ i: 0 }, { j: 0 }] },
      ErrorCode.ConflictingUpdateOperators,
      "Update created a conflict at 'a.0'",
    ],
    [
      'the positional operator and an index on the same element',
      { _id: 1, a: [0] },
      { $set: { 'a.$': 2, 'a.0': 3 } },
      { positionalIndex: 0 },
      ErrorCode.ConflictingUpdateOperators,
      "Update created a conflict at 'a.0'",
    ],
    [
      '$inc on a string',
      { _id: id, a: 'x' },
      { $inc: { a: 1 } },
      {},
      ErrorCode.TypeMismatch,
      "Cannot apply $inc to a value of non-numeric type. {_id: ObjectId('507f1f77bcf86cd799439011')} has the field 'a' of non-numeric type string",
    ],
    [
      '$mul on a nested string',
      { _id: 1, a: { b: 'x' } },
      { $mul: { 'a.b': 2 } },
      {},
      ErrorCode.TypeMismatch,
      "Cannot apply $mul to a value of non-numeric type. {_id: 1} has the field 'b' of non-numeric type string",
    ],
    [
      '$inc with a string',
      { _id: 1 },
      { $inc: { a: 'x' } },
      {},
      ErrorCode.TypeMismatch,
      'Cannot increment with non-numeric argument: {a: "x"}',
    ],
    [
      '$mul with null',
      { _id: 1 },
      { $mul: { a: null } },
      {},
      ErrorCode.TypeMismatch,
      'Cannot multiply with non-numeric argument: {a: null}',
    ],
    [
      '$inc overflowing Int64',
      { _id: 1, a: Long.MAX_VALUE },
      { $inc: { a: 1 } },
      {},
      ErrorCode.BadValue,
      'Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}',
    ],
    [
      'creating a field in a scalar',
      { _id: 1, a: 1 },
      { $set: { 'a.b': 1 } },
      {},
      ErrorCode.PathNotViable,
      "Cannot create field 'b' in element {a: 1}",
    ],
    [
      'creating a named field in an array',
      { _id: 1, a: [1, 2] },
      { $set: { 'a.b': 1 } },
      {},
      ErrorCode.PathNotViable,
      "Cannot create field 'b' in element {a: [ 1, 2 ]}",
    ],
    [
      '$pop through a scalar',
      { _id: 1, a: 1 },
      { $pop: { 'a.b': 1 } },
      {},
      ErrorCode.PathNotViable,
      'Cannot use the part (b) of (a.b) to traverse the element ({a: 1})',
    ],
    [
      '$push to a non-array',
      { _id: 1, a: 1 },
      { $push: { a: 2 } },
      {},
      ErrorCode.BadValue,
      "The field 'a' must be an array but is of type int in document {_id: 1}",
    ],
    [
      '$push with a non-array $each',
      { _id: 1 },
      { $push: { a: { $each: 1 } } },
      {},
      ErrorCode.BadValue,
      'The argument to $each in $push must be an array but it was of type: int',
    ],
    [
      '$push with an unknown clause',
      { _id: 1 },
      { $push: { a: { $each: [], $foo: 1 } } },
      {},
      ErrorCode.BadValue,
      'Unrecognized clause in $push: $foo',
    ],
    [
      '$push with a bad $sort',
      { _id: 1 },
      { $push: { a: { $each: [], $sort: 2 } } },
      {},
      ErrorCode.BadValue,
      'The $sort element value must be either 1 or -1',
    ],
    [
      '$push with a fractional $slice',
      { _id: 1 },
      { $push: { a: { $each: [], $slice: 1.5 } } },
      {},
      ErrorCode.BadValue,
      'The value for $slice must be an integer value but was given type: double',
    ],
    [
      '$push with a string $position',
      { _id: 1 },
      { $push: { a: { $each: [], $position: 'x' } } },
      {},
      ErrorCode.BadValue,
      'The value for $position must be an integer value, not of type: string',
    ],
    [
      '$addToSet to a non-array',
      { _id: 1, a: 'x' },
      { $addToSet: { a: 1 } },
      {},
      ErrorCode.BadValue,
      "Cannot apply $addToSet to non-array field. Field named 'a' has non-array type string",
    ],
    [
      '$addToSet with a non-array $each',
      { _id: 1 },
      { $addToSet: { a: { $each: 1 } } },
      {},
      ErrorCode.TypeMismatch,
      'The argument to $each in $addToSet must be an array but it was of type int',
    ],
    [
      '$pop with 2',
      { _id: 1 },
      { $pop: { a: 2 } },
      {},
      ErrorCode.FailedToParse,
      '$pop expects 1 or -1, found: 2',
    ],
    [
      '$pop with a string',
      { _id: 1 },
      { $pop: { a: 'x' } },
      {},
      ErrorCode.FailedToParse,
      'Expected a number in: a: "x"',
    ],
    [
      '$pop on a non-array',
      { _id: 1, a: 1 },
      { $pop: { a: 1 } },
      {},
      ErrorCode.TypeMismatch,
      "Path 'a' contains an element of non-array type 'int'",
    ],
    [
      '$pull on a non-array',
      { _id: 1, a: 1 },
      { $pull: { a: 1 } },
      {},
      ErrorCode.BadValue,
      'Cannot apply $pull to a non-array value',
    ],
    [
      '$pullAll with a non-array',
      { _id: 1 },
      { $pullAll: { a: 1 } },
      {},
      ErrorCode.BadValue,
      '$pullAll requires an array argument but was given a int',
    ],
    [
      '$bit with an unknown operation',
      { _id: 1 },
      { $bit: { a: { nand: 1 } } },
      {},
      ErrorCode.BadValue,
      "The $bit modifier only supports 'and', 'or', and 'xor', not 'nand' which is an unknown operator: {nand: 1}",
    ],
    [
      '$bit with a double',
      { _id: 1 },
      { $bit: { a: { and: 1.5 } } },
      {},
      ErrorCode.BadValue,
      "The $bit modifier field must be an Integer(32/64 bit); a 'double' is not supported here: {and: 1.5}",
    ],
    [
      '$bit on a double',
      { _id: 1, a: 1.5 },
      { $bit: { a: { and: 1 } } },
      {},
      ErrorCode.BadValue,
      'Cannot apply $bit to a value of non-integral type._id: 1 has the field a of non-integer type double',
    ],
    [
      '$currentDate with a bad $type',
      { _id: 1 },
      { $currentDate: { a: { $type: 'x' } } },
      {},
      ErrorCode.BadValue,
      "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
    ],
    [
      '$currentDate with a number',
      { _id: 1 },
      { $currentDate: { a: 1 } },
      {},
      ErrorCode.BadValue,
      "int is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).",
    ],
    [
      '$rename to the same field',
      { _id: 1, a: 1 },
      { $rename: { a: 'a' } },
      {},
      ErrorCode.BadValue,
      'The source and target field for $rename must differ: a: "a"',
    ],
    [
      '$rename to a field below',
      { _id: 1, a: 1 },
      { $rename: { a: 'a.b' } },
      {},
      ErrorCode.BadValue,
      'The source and target field for $rename must not be on the same path: a: "a.b"',
    ],
    [
      '$rename with a non-string target',
      { _id: 1, a: 1 },
      { $rename: { a: 1 } },
      {},
      ErrorCode.BadValue,
      "The 'to' field for $rename must be a string: a: 1",
    ],
    [
      '$rename with a positional source',
      { _id: 1, a: [1] },
      { $rename: { 'a.$': 'b' } },
      { positionalIndex: 0 },
      ErrorCode.BadValue,
      'The source field for $rename may not be dynamic: a.$',
    ],
    [
      '$rename out of an array element',
      { _id: 1, a: [{ b: 1 }] },
      { $rename: { 'a.0.b': 'c' } },
      {},
      ErrorCode.BadValue,
      "The source field cannot be an array element, 'a.0.b' in doc with _id: 1 has an array field called 'a'",
    ],
    [
      '$rename into an array element',
      { _id: 1, a: [{ b: 1 }], c: 1 },
      { $rename: { c: 'a.0.d' } },
      {},
      ErrorCode.BadValue,
      "The destination field cannot be an array element, 'a.0.d' in doc with _id: 1 has an array field called 'a'",
    ],
    [
      '$rename through a scalar',
      { _id: 1, a: 1 },
      { $rename: { 'a.b': 'c' } },
      {},
      ErrorCode.PathNotViable,
      'cannot use the part (a of a.b) to traverse the element ({a: 1})',
    ],
    [
      '$set of _id',
      { _id: 1 },
      { $set: { _id: 2 } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
    [
      '$set of _id to an equal value of another type',
      { _id: 1 },
      { $set: { _id: Long.fromNumber(1) } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
    [
      '$set inside _id',
      { _id: { a: 1 } },
      { $set: { '_id.a': 2 } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id.a' would modify the immutable field '_id'",
    ],
    [
      'creating a field inside _id',
      { _id: { a: 1 } },
      { $set: { '_id.b': 2 } },
      {},
      ErrorCode.ImmutableField,
      "Updating the path '_id' to _id: { a: 1, b: 2 } would modify the immutable field '_id'",
    ],
    [
      '$unset of _id',
      { _id: 1 },
      { $unset: { _id: 1 } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
    [
      '$rename of _id',
      { _id: 1 },
      { $rename: { _id: 'a' } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
    [
      '$rename onto _id',
      { _id: 1, a: 1 },
      { $rename: { a: '_id' } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
    [
      '$inc of _id',
      { _id: 1 },
      { $inc: { _id: 1 } },
      {},
      ErrorCode.ImmutableField,
      "Performing an update on the path '_id' would modify the immutable field '_id'",
    ],
  ])('%s', (_name, doc, spec, ctx, code, message) => {
    const error = captureError(() => applyUpdate(doc, spec, ctx));
    expect({ code: error.code, message: error.message }).toStrictEqual({ code, message });
  });

  it.each<[string, Document, UpdateContext]>([
    ['unknown operators', { $foo: {} }, {}],
    ['conflicts', { $set: { a: 1 }, $inc: { a: 1 } }, {}],
    ['operand errors', { $inc: { a: 'x' } }, {}],
    ['missing array filters', { $set: { 'a.$[x]': 1 } }, {}],
    ['unused array filters', { $set: { a: 1 } }, { arrayFilters: [{ x: 1 }] }],
  ])('validateUpdate reports %s', (_name, spec, ctx) => {
    expect(() => validateUpdate(spec, ctx)).toThrow(MongoServerError);
  });

  it.each<[string, Document, UpdateContext]>([
    ['an empty operator', { $set: {} }, {}],
    [
      'several operators on distinct paths',
      { $set: { a: 1, 'b.c': 1 }, $inc: { 'b.d': 1 }, $rename: { x: 'y' } },
      {},
    ],
    [
      'used array filters',
      { $set: { 'a.$[x].b': 1, 'a.$[].c': 1 } },
      { arrayFilters: [{ 'x.b': { $gt: 1 } }] },
    ],
    ['a positional path (checked when applied)', { $set: { 'a.$': 1 } }, {}],
    ['a $ field below the top level', { $set: { 'a.$x': 1 } }, {}],
  ])('validateUpdate accepts %s', (_name, spec, ctx) => {
    expect(() => validateUpdate(spec, ctx)).not.toThrow();
  });

  it('allows setting _id when the document has none (an upsert without _id in the query)', () => {
    expect(update({ a: 1 }, { $set: { _id: 5 } }, { isUpsertInsert: true })).toStrictEqual({
      a: 1,
      _id: 5,
    });
  });
});

describe('applyReplacement', () => {
  it('replaces the fields and keeps the original _id first', () => {
    const outcome = applyReplacement({ _id: 1, a: 1, b: 2 }, { c: 3, d: 4 });
    expect(outcome).toStrictEqual({ document: { _id: 1, c: 3, d: 4 }, modified: true });
    expect(Object.keys(outcome.document)).toEqual(['_id', 'c', 'd']);
  });

  it('accepts the same _id anywhere in the replacement', () => {
    const outcome = applyReplacement({ _id: 1, a: 1 }, { b: 2, _id: 1 });
    expect(Object.keys(outcome.document)).toEqual(['_id', 'b']);
  });

  it('reports an identical replacement as not modified', () => {
    expect(applyReplacement({ _id: 1, a: [1] }, { _id: 1, a: [1] }).modified).toBe(false);
    expect(applyReplacement({ _id: 1, a: 1 }, { a: 1 }).modified).toBe(false);
  });

  it('does not mutate or share its inputs', () => {
    const doc = deepFreeze({ _id: 1, a: 1 });
    const replacement = { b: { c: [1] } };
    const outcome = applyReplacement(doc, replacement);
    ((outcome.document.b as Document).c as number[]).push(2);
    expect(replacement.b.c).toEqual([1]);
  });

  it('sets top-level zero timestamps to the current time', () => {
    const outcome = applyReplacement(
      { _id: 1 },
      { ts: new Timestamp({ t: 0, i: 0 }) },
      { now: NOW },
    );
    expect((outcome.document.ts as Timestamp).t).toBe(Math.floor(NOW.getTime() / 1000));
  });

  it.each<[string, Document, Document, number, string]>([
    [
      'a different _id',
      { _id: 1 },
      { _id: 2, a: 1 },
      ErrorCode.ImmutableField,
      "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
    ],
    [
      'a top-level $ field',
      { _id: 1 },
      { a: 1, $set: { b: 1 } },
      ErrorCode.DollarPrefixedFieldName,
      "The dollar ($) prefixed field '$set' in '$set' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.",
    ],
    [
      'an array _id',
      {},
      { _id: [1] },
      ErrorCode.InvalidIdField,
      "The '_id' value cannot be of type array",
    ],
  ])('rejects %s', (_name, doc, replacement, code, message) => {
    const error = captureError(() => applyReplacement(doc, replacement));
    expect({ code: error.code, message: error.message }).toStrictEqual({ code, message });
  });
});

describe('applyPipelineUpdate', () => {
  it.each<[string, Document, Document[], Document]>([
    [
      '$set with an expression',
      { _id: 1, a: 2 },
      [{ $set: { b: { $multiply: ['$a', 3] } } }],
      { _id: 1, a: 2, b: 6 },
    ],
    [
      '$addFields then $unset',
      { _id: 1, a: 1, b: 2 },
      [{ $addFields: { c: '$b' } }, { $unset: 'b' }],
      { _id: 1, a: 1, c: 2 },
    ],
    ['$project keeps _id', { _id: 1, a: 1, b: 2 }, [{ $project: { a: 1 } }], { _id: 1, a: 1 }],
    [
      '$project without _id keeps the original _id',
      { _id: 1, a: 1, b: 2 },
      [{ $project: { _id: 0, b: 1 } }],
      { _id: 1, b: 2 },
    ],
    ['$replaceWith', { _id: 1, a: { x: 1 } }, [{ $replaceWith: '$a' }], { _id: 1, x: 1 }],
    [
      '$replaceRoot',
      { _id: 1, a: { x: 1 } },
      [{ $replaceRoot: { newRoot: { y: '$a.x' } } }],
      { _id: 1, y: 1 },
    ],
    ['$$NOW uses the update time', { _id: 1 }, [{ $set: { at: '$$NOW' } }], { _id: 1, at: NOW }],
  ])('%s', (_name, doc, pipeline, expected) => {
    expect(applyPipelineUpdate(deepFreeze(doc), pipeline, { now: NOW }).document).toStrictEqual(
      expected,
    );
  });

  it('keeps the numeric types of fields the pipeline did not change', () => {
    const doc = { _id: Long.fromNumber(1), n: Long.fromNumber(5), d: new Double(2), x: 1 };
    const { document, modified } = applyPipelineUpdate(doc, [{ $set: { x: 2 } }]);
    expect(modified).toBe(true);
    expect(document).toStrictEqual({
      _id: Long.fromNumber(1),
      n: Long.fromNumber(5),
      d: new Double(2),
      x: 2,
    });
  });

  it('reports an unchanged document as not modified', () => {
    expect(applyPipelineUpdate({ _id: 1, a: 1 }, [{ $set: { a: 1 } }]).modified).toBe(false);
  });

  it.each<[string, Document[], UpdateContext, number, string]>([
    [
      'a stage not allowed in updates',
      [{ $match: { a: 1 } }],
      {},
      ErrorCode.InvalidOptions,
      '$match is not allowed to be used within an update',
    ],
    [
      '$group',
      [{ $group: { _id: null } }],
      {},
      ErrorCode.InvalidOptions,
      '$group is not allowed to be used within an update',
    ],
    ['an unknown stage', [{ $foo: {} }], {}, 40324, "Unrecognized pipeline stage name: '$foo'"],
    [
      'a stage with two fields',
      [{ $set: { a: 1 }, $unset: 'b' }],
      {},
      40323,
      'A pipeline stage specification object must contain exactly one field.',
    ],
    [
      'array filters',
      [{ $set: { a: 1 } }],
      { arrayFilters: [{ x: 1 }] },
      ErrorCode.FailedToParse,
      'arrayFilters may not be specified for pipeline-style updates',
    ],
    [
      'a changed _id',
      [{ $set: { _id: 2 } }],
      {},
      ErrorCode.ImmutableField,
      "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2",
    ],
  ])('rejects %s', (_name, pipeline, ctx, code, message) => {
    const error = captureError(() => applyPipelineUpdate({ _id: 1, a: 1 }, pipeline, ctx));
    expect({ code: error.code, message: error.message }).toStrictEqual({ code, message });
  });
});
