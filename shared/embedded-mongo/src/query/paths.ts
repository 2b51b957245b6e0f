import { DBRef } from 'bson';
import { dbRefDocument, isPlainObject, type Document } from '../bson/values';

/** Marks a path that does not exist in a document (distinct from a stored null). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

/**
 * The values a dotted path reaches in a document, expanding arrays the way MongoDB's index key
 * generation and sort do: `a.b` over `{a: [{b: 1}, {b: 2}]}` reaches 1 and 2. A terminal array is
 * returned whole as one value (callers decide whether to expand it). Numeric segments address
 * array elements positionally; a DBRef is entered as its `{$ref, $id, $db}` document.
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out;
}

function collect(found: unknown, segments: string[], i: number, out: unknown[]): void {
  if (i === segments.length) {
    out.push(found);
    return;
  }
  // A path goes on into a DBRef's parts (`members.$id`), as into the document BSON holds.
  const value = found instanceof DBRef ? dbRefDocument(found) : found;
  const segment = segments[i] as string;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(segment)) {
      const index = Number(segment);
      if (index < value.length) collect(value[index], segments, i + 1, out);
      return;
    }
    for (const element of value) {
      if (isPlainObject(element) || element instanceof DBRef) collect(element, segments, i, out);
    }
    return;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, segment)) {
    collect(value[segment], segments, i + 1, out);
    return;
  }
  if (!Array.isArray(value)) out.push(MISSING);
}

/** The single value at a dotted path without array expansion, or {@link MISSING}. */
export function valueAtPath(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const segment of path.split('.')) {
    if (current instanceof DBRef) current = dbRefDocument(current);
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = current[segment];
    } else return MISSING;
    if (current === undefined) return MISSING;
  }
  return current;
}
