import { type Doc, rejection, useEngineDatabase } from './helpers/engine';

/**
 * 2d and 2dsphere indexes and the geo query operators through the official driver, against
 * MongoDB 7.0's documented semantics: GeoJSON [longitude, latitude], meters for GeoJSON points,
 * radians for legacy pairs on the sphere, coordinate units on a flat 2d index.
 */
const engine = useEngineDatabase('geo', 'g');
const { fresh } = engine;

// mongod's earth radius (kRadiusOfEarthInMeters).
const EARTH_RADIUS = 6378100;

/** The central angle between two [lng, lat] points (haversine), in radians. */
function angle([lng1, lat1]: [number, number], [lng2, lat2]: [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * Math.asin(Math.sqrt(h));
}

const LONDON: [number, number] = [-0.1276, 51.5072];
const PARIS: [number, number] = [2.3522, 48.8566];
const BERLIN: [number, number] = [13.405, 52.52];
const MADRID: [number, number] = [-3.7038, 40.4168];

const point = (coordinates: [number, number]): Doc => ({ type: 'Point', coordinates });

async function cities(): Promise<ReturnType<typeof fresh>> {
  const coll = fresh();
  await coll.createIndex({ loc: '2dsphere' });
  await coll.insertMany([
    { _id: 'berlin', loc: point(BERLIN) },
    { _id: 'madrid', loc: point(MADRID) },
    { _id: 'paris', loc: point(PARIS) },
    { _id: 'london', loc: point(LONDON) },
    { _id: 'nowhere' },
  ]);
  return coll;
}

describe('2dsphere indexes', () => {
  it('are listed as mongod stores them (2dsphereIndexVersion 3)', async () => {
    const coll = fresh();
    expect(await coll.createIndex({ loc: '2dsphere' })).toBe('loc_2dsphere');
    const index = (await coll.listIndexes().toArray()).find((i) => i.name === 'loc_2dsphere');
    expect(index).toEqual({
      v: 2,
      key: { loc: '2dsphere' },
      name: 'loc_2dsphere',
      '2dsphereIndexVersion': 3,
    });
  });

  it('refuse invalid GeoJSON on insert with 16755, writing nothing', async () => {
    const coll = fresh();
    await coll.createIndex({ loc: '2dsphere' });
    const outOfBounds = await rejection(coll.insertOne({ _id: 1, loc: point([200, 0]) }));
    expect(outOfBounds.code).toBe(16755);
    expect(outOfBounds.message).toContain("Can't extract geo keys");
    expect(outOfBounds.message).toContain('longitude/latitude is out of bounds, lng: 200 lat: 0');
    const openRing = await rejection(
      coll.insertOne({
        _id: 2,
        loc: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        },
      }),
    );
    expect(openRing.code).toBe(16755);
    expect(openRing.message).toContain('Loop is not closed');
    const unknown = await rejection(
      coll.insertOne({ _id: 3, loc: { type: 'Blob', coordinates: [] } }),
    );
    expect(unknown.code).toBe(16755);
    const text = await rejection(coll.insertOne({ _id: 4, loc: 'here' }));
    expect(text.code).toBe(16755);
    expect(await coll.countDocuments()).toBe(0);
    // A document without the field is not indexed (2dsphere indexes are sparse on it).
    await coll.insertOne({ _id: 5 });
    expect(await coll.countDocuments()).toBe(1);
  });

  it('refuse to build over a document holding invalid GeoJSON', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, loc: point([0, 100]) });
    const error = await rejection(coll.createIndex({ loc: '2dsphere' }));
    expect(error.code).toBe(16755);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });
});

describe('$near and $nearSphere', () => {
  it('$near with a GeoJSON point: nearest first, distances in meters', async () => {
    const coll = await cities();
    const from = PARIS;
    const near = async (condition: Doc): Promise<unknown[]> =>
      (await coll.find({ loc: { $near: { $geometry: point(from), ...condition } } }).toArray()).map(
        (d) => d._id,
      );
    expect(await near({})).toEqual(['paris', 'london', 'berlin', 'madrid']);
    const toLondon = angle(PARIS, LONDON) * EARTH_RADIUS;
    expect(await near({ $maxDistance: toLondon + 1000 })).toEqual(['paris', 'london']);
    expect(await near({ $minDistance: 1, $maxDistance: toLondon + 1000 })).toEqual(['london']);
  });

  it('$nearSphere with a legacy pair measures in radians', async () => {
    const coll = await cities();
    const toLondon = angle(PARIS, LONDON);
    const docs = await coll
      .find({ loc: { $nearSphere: PARIS, $maxDistance: toLondon * 1.01 } })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual(['paris', 'london']);
  });

  it('combines with other conditions, skip and limit, and an explicit sort wins', async () => {
    const coll = await cities();
    await coll.updateMany({ _id: { $in: ['paris', 'madrid'] } }, { $set: { eu: true } });
    await coll.updateMany({ _id: { $in: ['berlin'] } }, { $set: { eu: true } });
    const near = { loc: { $near: { $geometry: point(LONDON) } }, eu: true };
    expect((await coll.find(near).toArray()).map((d) => d._id)).toEqual([
      'paris',
      'berlin',
      'madrid',
    ]);
    expect((await coll.find(near).skip(1).limit(1).toArray()).map((d) => d._id)).toEqual([
      'berlin',
    ]);
    expect((await coll.find(near).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([
      'berlin',
      'madrid',
      'paris',
    ]);
  });

  it('explains as GEO_NEAR_2DSPHERE on the geo index', async () => {
    const coll = await cities();
    const explained = await coll
      .find({ loc: { $near: { $geometry: point(PARIS) } } })
      .explain('executionStats');
    expect(explained.queryPlanner.winningPlan).toEqual({
      stage: 'GEO_NEAR_2DSPHERE',
      keyPattern: { loc: '2dsphere' },
      indexName: 'loc_2dsphere',
    });
    expect(explained.executionStats.nReturned).toBe(4);
  });

  it('without a geo index is NoQueryExecutionPlans (291)', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, loc: point(PARIS) });
    const error = await rejection(
      coll.find({ loc: { $near: { $geometry: point(LONDON) } } }).toArray(),
    );
    expect(error.code).toBe(291);
    expect(error.message).toContain('unable to find index for $geoNear query');
  });

  it('is refused inside $or (BadValue)', async () => {
    const coll = await cities();
    const error = await rejection(
      coll
        .find({ $or: [{ loc: { $near: { $geometry: point(LONDON) } } }, { _id: 'x' }] })
        .toArray(),
    );
    expect(error.code).toBe(2);
    expect(error.message).toBe('$geoNear, $near, and $nearSphere are not allowed in this context');
  });
});

describe('$geoWithin and $geoIntersects', () => {
  // Roughly France: Paris is inside, London, Berlin and Madrid are not.
  const france = {
    type: 'Polygon',
    coordinates: [
      [
        [-4.8, 42.3],
        [8.2, 42.3],
        [8.2, 51.1],
        [-4.8, 51.1],
        [-4.8, 42.3],
      ],
    ],
  };

  it('$geoWithin $geometry needs no index', async () => {
    const coll = fresh();
    await coll.insertMany([
      { _id: 'paris', loc: point(PARIS) },
      { _id: 'london', loc: point(LONDON) },
      { _id: 'route', loc: { type: 'LineString', coordinates: [PARIS, [4.8357, 45.764]] } },
    ]);
    const within = await coll
      .find({ loc: { $geoWithin: { $geometry: france } } })
      .sort({ _id: 1 })
      .toArray();
    expect(within.map((d) => d._id)).toEqual(['paris', 'route']);
  });

  it('$centerSphere (radians) and $geoIntersects', async () => {
    const coll = await cities();
    const radius = angle(PARIS, LONDON) * 1.01;
    const around = await coll
      .find({ loc: { $geoWithin: { $centerSphere: [PARIS, radius] } } })
      .sort({ _id: 1 })
      .toArray();
    expect(around.map((d) => d._id)).toEqual(['london', 'paris']);
    const line = {
      type: 'LineString',
      coordinates: [
        [-10, 40.4168],
        [0, 40.4168],
      ],
    };
    await coll.insertOne({ _id: 'france', loc: france });
    const crossing = await coll.find({ loc: { $geoIntersects: { $geometry: line } } }).toArray();
    expect(crossing.map((d) => d._id)).toEqual(['madrid']);
    const overParis = await coll
      .find({ loc: { $geoIntersects: { $geometry: point(PARIS) } } })
      .sort({ _id: 1 })
      .toArray();
    expect(overParis.map((d) => d._id)).toEqual(['france', 'paris']);
  });

  it('refuses an unknown shape with BadValue', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, loc: [0, 0] });
    const error = await rejection(
      coll.find({ loc: { $geoWithin: { $square: [0, 0] } } }).toArray(),
    );
    expect(error.code).toBe(2);
  });
});

describe('2d indexes', () => {
  async function grid(): Promise<ReturnType<typeof fresh>> {
    const coll = fresh();
    await coll.createIndex({ pos: '2d' });
    await coll.insertMany([
      { _id: 'a', pos: [0, 0] },
      { _id: 'b', pos: [3, 4] },
      { _id: 'c', pos: { x: 10, y: 0 } },
      { _id: 'd', pos: [-6, -8] },
    ]);
    return coll;
  }

  it('$near on flat coordinates, $maxDistance in coordinate units', async () => {
    const coll = await grid();
    const docs = await coll.find({ pos: { $near: [0, 0], $maxDistance: 5 } }).toArray();
    expect(docs.map((d) => d._id)).toEqual(['a', 'b']);
    const all = await coll.find({ pos: { $near: [9, 0] } }).toArray();
    expect(all.map((d) => d._id)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('$box, $polygon and $center', async () => {
    const coll = await grid();
    const find = async (shape: Doc): Promise<unknown[]> =>
      (
        await coll
          .find({ pos: { $geoWithin: shape } })
          .sort({ _id: 1 })
          .toArray()
      ).map((d) => d._id);
    expect(
      await find({
        $box: [
          [-1, -1],
          [5, 5],
        ],
      }),
    ).toEqual(['a', 'b']);
    expect(
      await find({
        $polygon: [
          [-1, -1],
          [11, -1],
          [11, 1],
          [-1, 1],
        ],
      }),
    ).toEqual(['a', 'c']);
    expect(await find({ $center: [[0, 0], 10] })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuse values that are no coordinate pair (13026) and points outside the bounds (13027)', async () => {
    const coll = fresh();
    await coll.createIndex({ pos: '2d' }, { min: 0, max: 100 });
    expect((await rejection(coll.insertOne({ pos: 'x' }))).code).toBe(13026);
    expect((await rejection(coll.insertOne({ pos: [100, 5] }))).code).toBe(13027);
    await coll.insertOne({ _id: 1, pos: [99.5, 0] });
    expect(await coll.countDocuments()).toBe(1);
  });
});

describe('$geoNear', () => {
  it('adds the distance (meters for GeoJSON), filters with query, includes locations', async () => {
    const coll = await cities();
    const docs = await coll
      .aggregate([
        {
          $geoNear: {
            near: point(PARIS),
            distanceField: 'dist.km',
            distanceMultiplier: 0.001,
            maxDistance: 1_000_000,
            query: { _id: { $ne: 'paris' } },
            includeLocs: 'where',
            spherical: true,
          },
        },
        { $project: { dist: 1, where: 1 } },
      ])
      .toArray();
    expect(docs.map((d) => d._id)).toEqual(['london', 'berlin']);
    expect(docs[0]?.dist.km).toBeCloseTo((angle(PARIS, LONDON) * EARTH_RADIUS) / 1000, 3);
    expect(docs[0]?.where).toEqual(point(LONDON));
  });

  it('measures radians for a legacy point with spherical: true', async () => {
    const coll = await cities();
    const [first, second] = await coll
      .aggregate([
        { $geoNear: { near: LONDON, distanceField: 'd', spherical: true } },
        { $limit: 2 },
      ])
      .toArray();
    expect(first?._id).toBe('london');
    expect(first?.d).toBe(0);
    expect(second?.d).toBeCloseTo(angle(LONDON, PARIS), 6);
  });

  it('chooses the index by key when there are several', async () => {
    const coll = fresh();
    await coll.createIndex({ home: '2dsphere' });
    await coll.createIndex({ work: '2dsphere' });
    await coll.insertMany([
      { _id: 1, home: point(PARIS), work: point(BERLIN) },
      { _id: 2, home: point(BERLIN), work: point(PARIS) },
    ]);
    const ambiguous = await rejection(
      coll.aggregate([{ $geoNear: { near: point(PARIS), distanceField: 'd' } }]).toArray(),
    );
    expect(ambiguous.code).toBe(27);
    const byWork = await coll
      .aggregate([{ $geoNear: { near: point(PARIS), distanceField: 'd', key: 'work' } }])
      .toArray();
    expect(byWork.map((d) => d._id)).toEqual([2, 1]);
  });

  it('is refused without a geo index (27), after the first stage (40602), without distanceField', async () => {
    const coll = fresh();
    await coll.insertOne({ _id: 1, loc: point(PARIS) });
    const noIndex = await rejection(
      coll.aggregate([{ $geoNear: { near: point(PARIS), distanceField: 'd' } }]).toArray(),
    );
    expect(noIndex.code).toBe(27);
    expect(noIndex.message).toBe('$geoNear requires a 2d or 2dsphere index, but none were found');
    const late = await rejection(
      coll
        .aggregate([{ $match: {} }, { $geoNear: { near: point(PARIS), distanceField: 'd' } }])
        .toArray(),
    );
    expect(late.code).toBe(40602);
    await coll.createIndex({ loc: '2dsphere' });
    const noField = await rejection(
      coll.aggregate([{ $geoNear: { near: point(PARIS) } }]).toArray(),
    );
    expect(noField.code).toBe(2);
  });
});
