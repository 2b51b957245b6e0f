import { Binary, Decimal128, Double, Long, ObjectId, Timestamp } from 'bson';
import { isPlainObject } from '../bson/values';

/**
 * Renders a value the way mongod prints it in error messages (`{ email: "a@b.c" }`), so that
 * duplicate-key messages read like the real server's.
 */
export function formatKeyValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Timestamp) return `Timestamp(${value.t}, ${value.i})`;
  if (value instanceof Long) return value.toString();
  if (value instanceof Double) return String(value.value);
  if (value instanceof Decimal128) return `Decimal128("${value.toString()}")`;
  if (value instanceof Binary)
    return `BinData(${value.sub_type}, ${value.toString('hex').toUpperCase()})`;
  if (Array.isArray(value)) return `[ ${value.map(formatKeyValue).join(', ')} ]`;
  if (isPlainObject(value)) {
    const fields = Object.entries(value).map(([k, v]) => `${k}: ${formatKeyValue(v)}`);
    return fields.length ? `{ ${fields.join(', ')} }` : '{}';
  }
  return String(value);
}
