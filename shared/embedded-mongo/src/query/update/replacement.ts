/**
 * Replacement updates (`replaceOne`, an update document without operators): the new document
 * takes the original's `_id`, which it may repeat but not change.
 */
import { Timestamp } from 'bson';

import { bsonTypeName, cloneValue, setOwnField, valuesEqual } from '../../bson/values';
import type { Document } from '../../bson/values';
import { ErrorCode, fail } from '../../errors';
import { formatElement } from './mongod-format';
import type { UpdateContext, UpdateOutcome } from './update-context';
import { currentDateValue, failDollarPrefixedField, hasOwn, identical } from './update-values';

function checkIdValue(value: unknown): void {
  const type = bsonTypeName(value);
  if (type === 'array' || type === 'regex' || type === 'undefined') {
    fail(ErrorCode.InvalidIdField, `The '_id' value cannot be of type ${type}`);
  }
}

/** ObjectReplaceExecutor::applyReplacementUpdate, with the original `_id` kept and put first. */
export function replaceDocument(original: Document, replacement: Document): UpdateOutcome {
  const hadId = hasOwn(original, '_id');
  const out: Document = {};
  if (hasOwn(replacement, '_id')) {
    const id = replacement._id;
    checkIdValue(id);
    if (hadId && !valuesEqual(original._id, id)) {
      fail(
        ErrorCode.ImmutableField,
        `After applying the update, the (immutable) field '_id' was found to have been altered to ${formatElement('_id', id)}`,
      );
    }
    out._id = hadId ? cloneValue(original._id) : id;
  } else if (hadId) {
    out._id = cloneValue(original._id);
  }
  for (const key of Object.keys(replacement)) {
    if (key !== '_id') setOwnField(out, key, replacement[key]);
  }
  return { document: out, modified: !identical(original, out) };
}

/**
 * Replacement update: the new document is `replacement` with the original `_id` first. The
 * replacement may omit `_id` or repeat an equal value; a different one is ImmutableField (66).
 * Top-level field names starting with `$` are DollarPrefixedFieldName (52). Top-level zero
 * timestamps (other than `_id`) are set to the current time, as mongod does.
 */
export function applyReplacement(
  doc: Document,
  replacement: Document,
  ctx: UpdateContext = {},
): UpdateOutcome {
  const copy = cloneValue(replacement);
  if (identical(doc, copy)) return { document: cloneValue(doc), modified: false };
  const now = ctx.now ?? new Date();
  for (const key of Object.keys(copy)) {
    if (key.startsWith('$')) failDollarPrefixedField(key);
    const value = copy[key];
    if (key !== '_id' && value instanceof Timestamp && value.t === 0 && value.i === 0) {
      copy[key] = currentDateValue(false, now);
    }
  }
  return replaceDocument(doc, copy);
}
