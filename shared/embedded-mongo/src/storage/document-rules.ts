import { calculateObjectSize, ObjectId } from 'bson';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';

/** mongod's maximum BSON document size: 16 MiB. */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** Throws BSONObjectTooLarge (10334) for a document over 16 MiB; returns its size otherwise. */
export function checkDocumentSize(doc: Document): number {
  const size = calculateObjectSize(doc);
  if (size > MAX_BSON_OBJECT_SIZE) {
    fail(
      ErrorCode.BSONObjectTooLarge,
      `object to insert too large. size in bytes: ${size}, max size: ${MAX_BSON_OBJECT_SIZE}`,
    );
  }
  return size;
}

const DBREF_FIELDS = new Set(['$ref', '$id', '$db']);

/** mongod's storage validation of `_id`: no `$`-prefixed field names inside it (DBRefs aside). */
function checkIdFieldNames(value: unknown): void {
  if (Array.isArray(value)) value.forEach(checkIdFieldNames);
  if (!isPlainObject(value)) return;
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$') && !DBREF_FIELDS.has(key)) {
      fail(
        ErrorCode.DollarPrefixedFieldName,
        `_id fields may not contain '$'-prefixed fields: ${key} is not valid for storage.`,
      );
    }
    checkIdFieldNames(inner);
  }
}

function checkId(id: unknown): void {
  if (Array.isArray(id)) fail(ErrorCode.InvalidIdField, "The '_id' value cannot be of type array");
  if (id instanceof RegExp) fail(ErrorCode.InvalidIdField, "can't use a regex for _id");
  if (id === undefined) fail(ErrorCode.InvalidIdField, "can't use undefined for _id");
  checkIdFieldNames(id);
}

/**
 * Readies a document for storage as mongod does: `_id` generated when absent and moved first,
 * `_id` and size checked. Field names starting with `$` are stored, as mongod 5.0+ does on insert.
 */
export function prepareDocument(doc: Document): { doc: Document; size: number } {
  if (!isPlainObject(doc)) fail(ErrorCode.TypeMismatch, 'document must be an object');
  let stored: Document;
  if (Object.prototype.hasOwnProperty.call(doc, '_id')) {
    checkId(doc._id);
    const { _id, ...rest } = doc;
    stored = { _id, ...rest };
  } else {
    stored = { _id: new ObjectId(), ...doc };
  }
  return { doc: stored, size: checkDocumentSize(stored) };
}
