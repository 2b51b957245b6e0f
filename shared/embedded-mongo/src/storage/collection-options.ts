import { isNumeric, isPlainObject, toNumber, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';

/** The time-series options of a collection, as listCollections reports them. */
export interface TimeseriesOptions {
  timeField: string;
  metaField?: string;
  granularity: 'seconds' | 'minutes' | 'hours';
  bucketMaxSpanSeconds: number;
}

const BUCKET_SPAN: Readonly<Record<TimeseriesOptions['granularity'], number>> = {
  seconds: 3600,
  minutes: 86400,
  hours: 2592000,
};

/** mongod's IDL codes: a required field missing, a field of the wrong type. */
const MISSING_FIELD = 40414;

/** The largest capped size mongod takes: 1 PiB. */
const MAX_CAPPED_SIZE = 2 ** 50;

function numeric(value: unknown, field: string): number {
  if (!isNumeric(value))
    fail(ErrorCode.TypeMismatch, `BSON field '${field}' is the wrong type, expected a number`);
  return typeof value === 'number' ? value : toNumber(value as Parameters<typeof toNumber>[0]);
}

function cappedOptions(options: Document): Document {
  if (options.capped !== true) return {};
  if (options.size === undefined)
    fail(ErrorCode.InvalidOptions, "the 'size' field is required when 'capped' is true");
  const size = numeric(options.size, 'create.size');
  if (!(size > 0) || size > MAX_CAPPED_SIZE)
    fail(ErrorCode.InvalidOptions, `Capped collection size must be between 1 byte and 1 PB`);
  const out: Document = {
    capped: true,
    // As mongod: the size is rounded up to a multiple of 256 bytes.
    size: Math.ceil(size / 256) * 256,
  };
  if (options.max !== undefined) {
    const max = numeric(options.max, 'create.max');
    if (!Number.isInteger(max) || max < 0 || max >= 2 ** 31)
      fail(ErrorCode.InvalidOptions, 'Capped collection max must be a non-negative 32-bit integer');
    // A max of 0 means none.
    if (max > 0) out.max = max;
  }
  return out;
}

function clusteredOptions(raw: unknown): Document {
  if (!isPlainObject(raw))
    fail(
      ErrorCode.TypeMismatch,
      "BSON field 'create.clusteredIndex' is the wrong type, expected object",
    );
  const key = raw.key;
  if (!isPlainObject(key) || Object.keys(key).length !== 1 || Number(key._id) !== 1) {
    fail(
      ErrorCode.InvalidIndexSpecificationOption,
      'The clusteredIndex option is only supported for key: {_id: 1}',
    );
  }
  if (raw.unique !== true) {
    fail(
      ErrorCode.InvalidIndexSpecificationOption,
      'The clusteredIndex option requires unique: true',
    );
  }
  for (const field of Object.keys(raw)) {
    if (!['key', 'unique', 'name', 'v'].includes(field))
      fail(40415, `BSON field 'create.clusteredIndex.${field}' is an unknown field.`);
  }
  const name = raw.name === undefined ? '_id_' : raw.name;
  if (typeof name !== 'string' || name.length === 0)
    fail(ErrorCode.TypeMismatch, "BSON field 'clusteredIndex.name' must be a non-empty string");
  return { v: 2, key: { _id: 1 }, name, unique: true };
}

function timeseriesOptions(raw: unknown): TimeseriesOptions {
  if (!isPlainObject(raw))
    fail(
      ErrorCode.TypeMismatch,
      "BSON field 'create.timeseries' is the wrong type, expected object",
    );
  for (const field of Object.keys(raw)) {
    if (!['timeField', 'metaField', 'granularity', 'bucketMaxSpanSeconds'].includes(field))
      fail(40415, `BSON field 'create.timeseries.${field}' is an unknown field.`);
  }
  const { timeField, metaField } = raw;
  if (timeField === undefined)
    fail(MISSING_FIELD, "BSON field 'create.timeseries.timeField' is missing but a required field");
  if (typeof timeField !== 'string')
    fail(
      ErrorCode.TypeMismatch,
      "BSON field 'timeseries.timeField' is the wrong type, expected string",
    );
  if (metaField !== undefined && typeof metaField !== 'string')
    fail(
      ErrorCode.TypeMismatch,
      "BSON field 'timeseries.metaField' is the wrong type, expected string",
    );
  for (const [label, field] of [
    ['timeField', timeField],
    ['metaField', metaField],
  ] as const) {
    if (field === undefined) continue;
    if (field === '_id') fail(ErrorCode.InvalidOptions, `The '${label}' cannot be '_id'`);
    if (field.includes('.') || field.startsWith('$'))
      fail(
        ErrorCode.InvalidOptions,
        `The '${label}' cannot contain embedded '.' or start with '$'`,
      );
  }
  if (metaField === timeField)
    fail(ErrorCode.InvalidOptions, "The 'metaField' cannot be the same as the 'timeField'");
  const granularity = raw.granularity ?? 'seconds';
  if (granularity !== 'seconds' && granularity !== 'minutes' && granularity !== 'hours') {
    fail(
      ErrorCode.BadValue,
      `Enumeration value '${String(granularity)}' for field 'timeseries.granularity' is not a valid value.`,
    );
  }
  const span =
    raw.bucketMaxSpanSeconds === undefined
      ? BUCKET_SPAN[granularity]
      : numeric(raw.bucketMaxSpanSeconds, 'timeseries.bucketMaxSpanSeconds');
  return {
    timeField,
    ...(metaField !== undefined ? { metaField } : {}),
    granularity,
    bucketMaxSpanSeconds: span,
  };
}

/** A collection-level TTL (clustered and time-series collections): seconds, or undefined. */
export function collectionTtl(value: unknown, field = 'expireAfterSeconds'): number {
  const seconds = numeric(value, field);
  if (!Number.isInteger(seconds) || seconds < 0)
    fail(ErrorCode.InvalidOptions, `${field} must be a non-negative integer`);
  return seconds;
}

/**
 * The options `create` stores for a capped, clustered or time-series collection, checked as
 * mongod checks them (capped size rounded up to 256 bytes, time-series defaults filled in);
 * other options pass through unchanged.
 */
export function normalizeCollectionOptions(options: Document): Document {
  const out: Document = { ...options };
  const kinds = ['capped', 'clusteredIndex', 'timeseries'].filter(
    (kind) => options[kind] !== undefined && options[kind] !== false,
  );
  if (kinds.length > 1) {
    fail(
      ErrorCode.InvalidOptions,
      `A collection cannot be both ${kinds.slice(0, 2).join(' and ')}`,
    );
  }
  if (options.capped !== undefined) {
    delete out.capped;
    delete out.size;
    delete out.max;
    Object.assign(out, cappedOptions(options));
  }
  if (options.clusteredIndex !== undefined)
    out.clusteredIndex = clusteredOptions(options.clusteredIndex);
  if (options.timeseries !== undefined) out.timeseries = timeseriesOptions(options.timeseries);
  if (options.expireAfterSeconds !== undefined) {
    if (options.clusteredIndex === undefined && options.timeseries === undefined) {
      fail(
        ErrorCode.InvalidOptions,
        "'expireAfterSeconds' option is only supported on clustered or time-series collections",
      );
    }
    out.expireAfterSeconds = collectionTtl(options.expireAfterSeconds);
  }
  return out;
}
