import type { QueryFilter } from 'mongoose';

/**
 * `text` with every regular-expression character escaped, to match it literally. A NUL becomes
 * `\x00`: BSON cannot carry a pattern with a null byte (the driver refuses to send it).
 */
export const escapeRegex = (text: string): string =>
  text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');

/** All of `filters` (empty filters are dropped; none left matches everything). */
export function allOf<T>(filters: QueryFilter<T>[]): QueryFilter<T> {
  const nonEmpty = filters.filter((filter) => Object.keys(filter).length > 0);
  if (nonEmpty.length === 0) return {};
  if (nonEmpty.length === 1) return nonEmpty[0] ?? {};
  return { $and: nonEmpty } as QueryFilter<T>;
}
