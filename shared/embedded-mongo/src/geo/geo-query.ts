import { booleanIntersects } from '@turf/boolean-intersects';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { booleanWithin } from '@turf/boolean-within';
import { distance } from '@turf/distance';
import { flattenEach } from '@turf/meta';
import { pointToLineDistance } from '@turf/point-to-line-distance';
import { pointToPolygonDistance } from '@turf/point-to-polygon-distance';
import type { Geometry, Polygon, Position } from 'geojson';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { MISSING, valuesAtPath } from '../query/paths';
import {
  GeoValueError,
  legacyPair,
  parseGeoJson,
  storedLocations,
  type StoredLocation,
} from './geo-value';

/** mongod's earth radius for converting radians to meters (kRadiusOfEarthInMeters). */
export const EARTH_RADIUS_METERS = 6378.1 * 1000;

const badValue = (message: string): never => fail(ErrorCode.BadValue, message);

/** Runs a parse that may throw GeoValueError, answering BadValue with its message instead. */
function parsed<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof GeoValueError) badValue(error.message);
    throw error;
  }
}

/** The parts of a geometry (points, lines, polygons) with Multi* and collections flattened. */
function parts(geometry: Geometry): Geometry[] {
  const out: Geometry[] = [];
  flattenEach(geometry, (feature) => {
    out.push(feature.geometry);
  });
  return out;
}

/** Every vertex of a geometry. */
function vertices(geometry: Geometry): Position[] {
  const out: Position[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value) && typeof value[0] === 'number') out.push(value as Position);
    else if (Array.isArray(value)) value.forEach(walk);
  };
  for (const part of parts(geometry)) walk((part as { coordinates: unknown }).coordinates);
  return out;
}

/** The central angle in radians between two [longitude, latitude] positions. */
export function sphericalDistance(a: Position, b: Position): number {
  return distance(a, b, { units: 'radians' });
}

const planarDistance = (a: Position, b: Position): number =>
  Math.hypot((a[0] as number) - (b[0] as number), (a[1] as number) - (b[1] as number));

/** How `$near`, `$nearSphere` and `$geoNear` measure: meters, radians on the sphere, or flat. */
export type DistanceUnits = 'meters' | 'radians' | 'planar';

/** The distance from `from` to the nearest point of a stored location, in `units`. */
export function distanceTo(from: Position, location: StoredLocation, units: DistanceUnits): number {
  if (units === 'planar') {
    return Math.min(...vertices(location.geometry).map((v) => planarDistance(from, v)));
  }
  let best = Infinity;
  for (const part of parts(location.geometry)) {
    let d: number;
    if (part.type === 'Point') d = sphericalDistance(from, part.coordinates);
    else if (part.type === 'LineString') d = pointToLineDistance(from, part, { units: 'radians' });
    else if (part.type === 'Polygon') {
      d = booleanPointInPolygon(from, part)
        ? 0
        : Math.abs(pointToPolygonDistance(from, part, { units: 'radians' }));
    } else continue;
    best = Math.min(best, d);
  }
  return units === 'meters' ? best * EARTH_RADIUS_METERS : best;
}

/** The locations a document holds at `path`, skipping values that are not valid locations. */
export function locationsAt(doc: Document, path: string): StoredLocation[] {
  const out: StoredLocation[] = [];
  for (const value of valuesAtPath(doc, path)) {
    if (value === MISSING) continue;
    try {
      out.push(...storedLocations(value, '2dsphere'));
    } catch (error) {
      if (!(error instanceof GeoValueError)) throw error;
      // A legacy pair outside longitude/latitude bounds is still a flat (2d) location.
      const pair = legacyPair(value);
      if (pair) out.push({ geometry: { type: 'Point', coordinates: pair }, legacy: true });
    }
  }
  return out;
}

const number = (value: unknown, what: string): number =>
  typeof value === 'number' && Number.isFinite(value)
    ? value
    : badValue(`${what} must be a number`);

function legacyPoint(value: unknown, what: string): Position {
  return legacyPair(value) ?? badValue(`${what}: Point must only contain numeric elements`);
}

/** A `$geoWithin` shape, compiled to a test on one stored location. */
function withinTest(shape: unknown): (location: StoredLocation) => boolean {
  if (!isPlainObject(shape) || Object.keys(shape).length !== 1)
    return badValue('$geoWithin expects an object with one shape');
  const [operator, value] = Object.entries(shape)[0] as [string, unknown];
  const isPoint = (
    l: StoredLocation,
  ): l is StoredLocation & { geometry: { coordinates: Position } } => l.geometry.type === 'Point';
  switch (operator) {
    case '$geometry': {
      const region = parsed(() => parseGeoJson(isPlainObject(value) ? value : {}));
      if (region.type !== 'Polygon' && region.type !== 'MultiPolygon')
        badValue(`$geoWithin not supported with provided geometry: ${region.type}`);
      const polygons = parts(region) as Polygon[];
      return (location) =>
        parts(location.geometry).every((part) => polygons.some((p) => booleanWithin(part, p)));
    }
    case '$box': {
      if (!Array.isArray(value) || value.length !== 2) return badValue('$box requires two points');
      const [a, b] = value.map((p) => legacyPoint(p, '$box')) as [Position, Position];
      const [minX, maxX] = [
        Math.min(a[0] as number, b[0] as number),
        Math.max(a[0] as number, b[0] as number),
      ];
      const [minY, maxY] = [
        Math.min(a[1] as number, b[1] as number),
        Math.max(a[1] as number, b[1] as number),
      ];
      return (location) => {
        if (!isPoint(location)) return false;
        const [x, y] = location.geometry.coordinates as [number, number];
        return x >= minX && x <= maxX && y >= minY && y <= maxY;
      };
    }
    case '$polygon': {
      if (!Array.isArray(value) || value.length < 3)
        return badValue('Polygon must have at least 3 points');
      const ring = value.map((p) => legacyPoint(p, '$polygon'));
      const polygon: Polygon = { type: 'Polygon', coordinates: [[...ring, ring[0] as Position]] };
      return (location) =>
        isPoint(location) && booleanPointInPolygon(location.geometry.coordinates, polygon);
    }
    case '$center':
    case '$centerSphere': {
      if (!Array.isArray(value) || value.length !== 2)
        return badValue(`${operator} requires a center and a radius`);
      const center = legacyPoint(value[0], operator);
      const radius = number(value[1], `${operator} radius`);
      if (radius < 0) badValue('radius must be a non-negative number');
      if (operator === '$center') {
        return (location) =>
          isPoint(location) && planarDistance(center, location.geometry.coordinates) <= radius;
      }
      return (location) =>
        vertices(location.geometry).every((v) => sphericalDistance(center, v) <= radius);
    }
    default:
      return badValue(`unknown geo specifier: ${operator}: ${JSON.stringify(value)}`);
  }
}

function intersectsTest(shape: unknown): (location: StoredLocation) => boolean {
  if (!isPlainObject(shape) || !('$geometry' in shape))
    return badValue('$geoIntersects expects a $geometry');
  const region = parsed(() => parseGeoJson(isPlainObject(shape.$geometry) ? shape.$geometry : {}));
  return (location) => booleanIntersects(location.geometry, region);
}

/**
 * `$geoWithin` / `$geoIntersects` as matcher operators: true when any location the document holds
 * at `path` lies within (intersects) the shape. They need no index, as in mongod.
 */
export function compileGeoPredicate(
  operator: '$geoWithin' | '$geoIntersects',
  path: string,
  shape: unknown,
): (doc: Document) => boolean {
  const test = operator === '$geoWithin' ? withinTest(shape) : intersectsTest(shape);
  return (doc) => locationsAt(doc, path).some(test);
}

/** A `$near` or `$nearSphere` condition, parsed. */
export interface NearQuery {
  readonly path: string;
  readonly point: Position;
  /** GeoJSON point given: distances in meters, needs a 2dsphere index. */
  readonly geoJson: boolean;
  readonly sphere: boolean;
  readonly maxDistance: number;
  readonly minDistance: number;
}

/**
 * Parses `{$near: {$geometry: <Point>, $maxDistance, $minDistance}}`, `{$near: [x, y],
 * $maxDistance: d}` and the same for `$nearSphere`.
 */
export function parseNear(path: string, condition: Document): NearQuery {
  const operator = '$near' in condition ? '$near' : '$nearSphere';
  const value = condition[operator];
  let options: Document = condition;
  let point: Position;
  let geoJson = false;
  if (isPlainObject(value) && '$geometry' in value) {
    const geometry = parsed(() => parseGeoJson(value.$geometry));
    if (geometry.type !== 'Point') badValue(`${operator} requires a GeoJSON Point`);
    point = (geometry as { coordinates: Position }).coordinates;
    geoJson = true;
    options = { ...condition, ...value };
  } else point = legacyPoint(value, operator);
  for (const key of Object.keys(condition)) {
    if (key !== operator && key !== '$maxDistance' && key !== '$minDistance')
      badValue(`${operator} does not accept ${key}`);
  }
  const bound = (key: string, fallback: number): number => {
    if (options[key] === undefined) return fallback;
    const n = number(options[key], key);
    if (n < 0) badValue(`${key} must be non-negative`);
    return n;
  };
  return {
    path,
    point,
    geoJson,
    sphere: operator === '$nearSphere',
    maxDistance: bound('$maxDistance', Infinity),
    minDistance: bound('$minDistance', 0),
  };
}
