import type { Position } from 'geojson';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import type { DistanceUnits } from '../geo/geo-query';
import { GeoValueError, legacyPair, parseGeoJson } from '../geo/geo-value';
import { compileFilter } from '../query/matcher';
import type { Collection } from '../storage/collection';

const OPTIONS = new Set([
  'near',
  'distanceField',
  'spherical',
  'maxDistance',
  'minDistance',
  'query',
  'distanceMultiplier',
  'includeLocs',
  'key',
]);

const badValue = (message: string): never => fail(ErrorCode.BadValue, message);

function numberField(spec: Document, field: string): number | undefined {
  const value = spec[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    fail(ErrorCode.TypeMismatch, `${field} must be a number`);
  return value;
}

/** Sets a dotted field on a document copy. */
function setPath(doc: Document, path: string, value: unknown): void {
  const segments = path.split('.');
  let node = doc;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    node = node[segment] = isPlainObject(next) ? { ...next } : {};
  }
  node[segments[segments.length - 1] as string] = value;
}

/**
 * The `$geoNear` stage: the documents of a collection nearest first, each with its distance in
 * `distanceField` (times `distanceMultiplier`) and, with `includeLocs`, the location measured.
 * A GeoJSON `near` measures in meters on a 2dsphere index; a legacy pair in radians
 * (`spherical: true` or a 2dsphere index) or flat on a 2d index. As in mongod: IndexNotFound (27)
 * without a geo index, or when several could serve and no `key` says which.
 */
export function* geoNearStage(collection: Collection, spec: Document): Generator<Document> {
  for (const option of Object.keys(spec)) {
    if (!OPTIONS.has(option)) badValue(`unknown argument to $geoNear: ${option}`);
  }
  const distanceField = spec.distanceField;
  if (typeof distanceField !== 'string' || distanceField === '')
    badValue("$geoNear requires a 'distanceField' option as a String");
  if (spec.near === undefined) badValue("$geoNear requires a 'near' option as an Array");
  let point: Position;
  let geoJson = false;
  if (isPlainObject(spec.near) && 'type' in spec.near) {
    try {
      const geometry = parseGeoJson(spec.near);
      if (geometry.type !== 'Point') badValue('$geoNear requires a GeoJSON Point for near');
      point = (geometry as { coordinates: Position }).coordinates;
    } catch (error) {
      if (error instanceof GeoValueError) badValue(error.message);
      throw error;
    }
    geoJson = true;
  } else {
    point = legacyPair(spec.near) ?? badValue("$geoNear requires a 'near' option as an Array");
  }
  const key = spec.key;
  if (key !== undefined && (typeof key !== 'string' || key === ''))
    badValue('$geoNear parameter key must be a non-empty string');
  const index = collection.geoIndexFor(key as string | undefined, false);
  if (!index) {
    fail(
      ErrorCode.IndexNotFound,
      key === undefined
        ? '$geoNear requires a 2d or 2dsphere index, but none were found'
        : `no geo indices for geoNear with key: ${key as string}`,
    );
  }
  const geoField = index.fields.find((f) => f.geo) as { path: string; geo: '2d' | '2dsphere' };
  if (key === undefined) {
    const others = collection
      .indexList()
      .filter((i) => i !== index && i.fields.some((f) => f.geo === geoField.geo));
    if (others.length > 0) {
      fail(
        ErrorCode.IndexNotFound,
        `There is more than one ${geoField.geo} index on ${collection.ns}; unsure which to use for $geoNear`,
      );
    }
  }
  if (geoJson && geoField.geo === '2d') {
    fail(ErrorCode.NoQueryExecutionPlans, 'unable to find index for $geoNear query');
  }
  const units: DistanceUnits = geoJson
    ? 'meters'
    : spec.spherical === true || geoField.geo === '2dsphere'
      ? 'radians'
      : 'planar';
  const query = spec.query;
  if (query !== undefined && !isPlainObject(query))
    fail(ErrorCode.TypeMismatch, '$geoNear query must be an object');
  const matcher = compileFilter(query as Document | undefined);
  if (matcher.near || matcher.text)
    badValue('$geoNear, $near, and $nearSphere are not allowed in this context');
  const multiplier = numberField(spec, 'distanceMultiplier') ?? 1;
  if (multiplier < 0) badValue('distanceMultiplier must be nonnegative');
  const includeLocs = spec.includeLocs;
  if (includeLocs !== undefined && typeof includeLocs !== 'string')
    fail(ErrorCode.TypeMismatch, 'includeLocs must be a string');
  const hits = collection.nearest(
    index,
    geoField.path,
    point,
    units,
    matcher,
    numberField(spec, 'minDistance') ?? 0,
    numberField(spec, 'maxDistance') ?? Infinity,
  );
  for (const hit of hits) {
    const doc = { ...hit.record.view };
    setPath(doc, distanceField as string, (hit.distance as number) * multiplier);
    if (includeLocs && hit.location) {
      const { geometry, legacy } = hit.location;
      setPath(
        doc,
        includeLocs,
        legacy ? geometry.type === 'Point' && geometry.coordinates : geometry,
      );
    }
    yield doc;
  }
}
