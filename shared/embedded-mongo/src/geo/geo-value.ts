import type { Geometry, Point, Position } from 'geojson';
import { isPlainObject } from '../bson/values';

/** The two kinds of geospatial index. */
export type GeoIndexKind = '2d' | '2dsphere';

/** A location stored in a document: a GeoJSON geometry, or a legacy coordinate pair as a Point. */
export interface StoredLocation {
  readonly geometry: Geometry;
  /** True for a legacy coordinate pair (`[x, y]` or `{x, y}`), false for GeoJSON. */
  readonly legacy: boolean;
}

/** Thrown inside this module for a malformed location; callers turn it into mongod's error. */
export class GeoValueError extends Error {}

const invalid = (message: string): never => {
  throw new GeoValueError(message);
};

/** A legacy coordinate pair: `[x, y]` or an embedded document whose first two values are numbers. */
export function legacyPair(value: unknown): Position | undefined {
  if (Array.isArray(value)) {
    if (value.length < 2 || typeof value[0] !== 'number' || typeof value[1] !== 'number')
      return undefined;
    return [value[0], value[1]];
  }
  if (isPlainObject(value) && !('type' in value)) {
    const [x, y] = Object.values(value);
    if (typeof x === 'number' && typeof y === 'number') return [x, y];
  }
  return undefined;
}

function position(value: unknown, spherical: boolean): Position {
  if (!Array.isArray(value) || value.length < 2) invalid('Point must be an array or object');
  const [lng, lat] = value as unknown[];
  if (
    !(value as unknown[]).every((n) => typeof n === 'number' && Number.isFinite(n)) ||
    typeof lng !== 'number' ||
    typeof lat !== 'number'
  ) {
    invalid('Point must only contain numeric elements');
  }
  const [x, y] = [lng as number, lat as number];
  if (spherical && (x < -180 || x > 180 || y < -90 || y > 90))
    invalid(`longitude/latitude is out of bounds, lng: ${x} lat: ${y}`);
  return [x, y];
}

function positions(value: unknown, spherical: boolean): Position[] {
  if (!Array.isArray(value)) invalid('coordinates must be an array');
  return (value as unknown[]).map((p) => position(p, spherical));
}

function ring(value: unknown, spherical: boolean): Position[] {
  const loop = positions(value, spherical);
  if (loop.length < 4) invalid('Loop must have at least 3 different vertices');
  const first = loop[0] as Position;
  const last = loop[loop.length - 1] as Position;
  if (first[0] !== last[0] || first[1] !== last[1]) invalid('Loop is not closed');
  return loop;
}

function line(value: unknown, spherical: boolean): Position[] {
  const points = positions(value, spherical);
  if (points.length < 2) invalid('GeoJSON LineString must have at least 2 vertices');
  return points;
}

const listOf = <T>(value: unknown, each: (item: unknown) => T): T[] => {
  if (!Array.isArray(value)) invalid('coordinates must be an array');
  return (value as unknown[]).map(each);
};

/**
 * Parses a GeoJSON geometry as mongod accepts it (positions within longitude/latitude bounds when
 * `spherical`, closed polygon rings of at least four positions, ...); throws {@link GeoValueError}.
 */
export function parseGeoJson(value: unknown, spherical = true): Geometry {
  if (!isPlainObject(value) || typeof value.type !== 'string') invalid('unknown GeoJSON type');
  const { type, coordinates } = value as { type: string; coordinates: unknown };
  switch (type) {
    case 'Point':
      return { type, coordinates: position(coordinates, spherical) };
    case 'MultiPoint':
      return { type, coordinates: positions(coordinates, spherical) };
    case 'LineString':
      return { type, coordinates: line(coordinates, spherical) };
    case 'MultiLineString':
      return { type, coordinates: listOf(coordinates, (l) => line(l, spherical)) };
    case 'Polygon':
      return { type, coordinates: listOf(coordinates, (r) => ring(r, spherical)) };
    case 'MultiPolygon':
      return {
        type,
        coordinates: listOf(coordinates, (p) => listOf(p, (r) => ring(r, spherical))),
      };
    case 'GeometryCollection': {
      const geometries = (value as { geometries?: unknown }).geometries;
      if (!Array.isArray(geometries)) invalid('GeometryCollection geometries must be an array');
      return { type, geometries: (geometries as unknown[]).map((g) => parseGeoJson(g, spherical)) };
    }
    default:
      return invalid(`unknown GeoJSON type: ${type}`);
  }
}

const pointOf = (coordinates: Position): Point => ({ type: 'Point', coordinates });

/**
 * The locations a field value holds for a geo index: none for a missing or null value, one for a
 * GeoJSON geometry or a legacy pair, several for an array of them. A 2d index takes legacy pairs
 * only. Throws {@link GeoValueError} for anything else.
 */
export function storedLocations(value: unknown, kind: GeoIndexKind): StoredLocation[] {
  if (value === undefined || value === null) return [];
  const pair = legacyPair(value);
  if (pair) {
    if (kind === '2dsphere') position(pair, true);
    return [{ geometry: pointOf(pair), legacy: true }];
  }
  if (isPlainObject(value) && 'type' in value) {
    if (kind === '2d') invalid("geo values must be 'legacy coordinate pairs' for 2d indexes");
    return [{ geometry: parseGeoJson(value), legacy: false }];
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    return value.flatMap((element) => {
      if (legacyPair(element) === undefined && !(isPlainObject(element) && 'type' in element))
        invalid(
          kind === '2d'
            ? "geo values must be 'legacy coordinate pairs' for 2d indexes"
            : 'Point must only contain numeric elements',
        );
      return storedLocations(element, kind);
    });
  }
  return invalid(
    kind === '2d'
      ? "geo values must be 'legacy coordinate pairs' for 2d indexes"
      : 'geo element must be an array or object',
  );
}
