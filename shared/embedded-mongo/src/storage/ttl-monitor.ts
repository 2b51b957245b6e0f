import type { Catalog } from './catalog';
import type { Collection, StoredRecord } from './collection';

/** The earliest Date JavaScript can hold: a scan from here on a TTL index sees only dates. */
const MIN_DATE = new Date(-8_640_000_000_000_000);

/**
 * Deletes documents whose TTL-indexed date (or earliest date, for arrays) is more than the index's
 * `expireAfterSeconds` in the past, as mongod's TTL monitor does (nothing while the parameter
 * `ttlMonitorEnabled` is false). Returns how many it removed.
 */
export function removeExpiredDocuments(catalog: Catalog, now = new Date()): number {
  if (!catalog.parameters.ttlMonitorEnabled) return 0;
  let removed = 0;
  for (const db of catalog.databaseNames()) {
    for (const collection of catalog.collections(db)) {
      for (const index of collection.indexList()) {
        const seconds = index.spec.expireAfterSeconds;
        if (seconds === undefined) continue;
        const cutoff = new Date(now.getTime() - seconds * 1000);
        const expired: StoredRecord[] = [];
        const seen = new Set<number>();
        for (const rid of index.scan([
          [{ low: MIN_DATE, lowInclusive: true, high: cutoff, highInclusive: false }],
        ])) {
          const record = collection.getRecord(rid);
          if (record && !seen.has(rid)) {
            seen.add(rid);
            expired.push(record);
          }
        }
        for (const record of expired) catalog.remove(collection, record);
        removed += expired.length;
      }
      removed += removeExpiredByCollectionTtl(catalog, collection, now);
    }
  }
  return removed;
}

/**
 * A clustered or time-series collection's own TTL (`expireAfterSeconds` of the collection): a
 * document expires when its `_id` (clustered) or time field (time-series) is a date that long ago.
 */
function removeExpiredByCollectionTtl(catalog: Catalog, collection: Collection, now: Date): number {
  const seconds = collection.options.expireAfterSeconds;
  if (typeof seconds !== 'number') return 0;
  const field = collection.timeseries?.timeField ?? (collection.clustered ? '_id' : null);
  if (field === null) return 0;
  const cutoff = now.getTime() - seconds * 1000;
  const expired = [...collection.allRecords()].filter((record) => {
    const value = record.doc[field];
    return value instanceof Date && value.getTime() < cutoff;
  });
  for (const record of expired) catalog.remove(collection, record);
  return expired.length;
}
