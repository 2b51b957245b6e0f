/** Values as mongod prints them in its error messages, so that messages match mongod's word for word. */
import { Binary, BSONRegExp } from 'bson';
import type { BSONSymbol, Code, ObjectId, Timestamp } from 'bson';

import { bsonTypeName, isPlainObject } from '../../bson/values';
import type { Document } from '../../bson/values';
import { numberOf } from './update-values';

/** A double as mongod's error messages print it (StringBuilder::appendDoubleNice). */
function formatDouble(n: number): string {
  let text: string;
  if (Number.isNaN(n)) text = 'nan';
  else if (!Number.isFinite(n)) text = n > 0 ? 'inf' : '-inf';
  else if (n === 0) text = Object.is(n, -0) ? '-0' : '0';
  else {
    // printf's %.16g: 16 significant digits, exponent form outside [1e-4, 1e16).
    const [mantissa = '', exponentText = '0'] = n.toExponential(15).split('e');
    const exponent = Number(exponentText);
    if (exponent < -4 || exponent >= 16) {
      const digits = mantissa.replace(/\.?0+$/, '');
      const sign = exponent < 0 ? '-' : '+';
      text = `${digits}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
    } else {
      text = n.toFixed(15 - exponent);
      if (text.includes('.')) text = text.replace(/\.?0+$/, '');
    }
  }
  // mongod's appendDoubleNice marks integral doubles so they read as doubles.
  return /[.EN]/.test(text) ? text : `${text}.0`;
}

function formatString(text: string): string {
  return text.length > 160 ? `"${text.slice(0, 150)}..."` : `"${text}"`;
}

/** A value as mongod's BSONElement::toString prints it in error messages. */
function formatValue(value: unknown): string {
  switch (bsonTypeName(value)) {
    case 'int':
      return String(numberOf(value));
    case 'double':
      return formatDouble(numberOf(value));
    case 'long':
    case 'decimal':
      return String(value);
    case 'string':
      return formatString(value as string);
    case 'symbol':
      return formatString((value as BSONSymbol).valueOf());
    case 'bool':
      return value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'undefined':
      return 'undefined';
    case 'minKey':
      return 'MinKey';
    case 'maxKey':
      return 'MaxKey';
    case 'objectId':
      return `ObjectId('${(value as ObjectId).toHexString()}')`;
    case 'date':
      return `new Date(${(value as Date).getTime()})`;
    case 'timestamp': {
      const ts = value as Timestamp;
      return `Timestamp(${ts.t}, ${ts.i})`;
    }
    case 'regex':
      return value instanceof BSONRegExp
        ? `/${value.pattern}/${value.options}`
        : `/${(value as RegExp).source}/${(value as RegExp).flags}`;
    case 'binData': {
      const bin = value instanceof Binary ? value : new Binary(value as Uint8Array);
      return `BinData(${bin.sub_type}, ${bin.toString('hex').toUpperCase()})`;
    }
    case 'javascript':
      return (value as Code).code;
    case 'array': {
      const items = value as unknown[];
      return items.length === 0 ? '[]' : `[ ${items.map(formatValue).join(', ')} ]`;
    }
    case 'object':
      return isPlainObject(value) ? formatDocument(value) : String(value);
    default:
      return String(value);
  }
}

export function formatElement(name: string, value: unknown): string {
  return `${name}: ${formatValue(value)}`;
}

export function formatDocument(doc: Document): string {
  const keys = Object.keys(doc);
  if (keys.length === 0) return '{}';
  return `{ ${keys.map((key) => formatElement(key, doc[key])).join(', ')} }`;
}

/** SafeNum::debugString, as "Failed to apply $inc operations" names the current value. */
export function debugNumber(value: unknown): string {
  switch (bsonTypeName(value)) {
    case 'int':
      return `(NumberInt)${numberOf(value)}`;
    case 'long':
      return `(NumberLong)${String(value)}`;
    case 'decimal':
      return `(NumberDecimal)${String(value)}`;
    default:
      return `(NumberDouble)${numberOf(value)}`;
  }
}
