import type { QueryFilter } from 'mongoose';
import { BadUserInputError } from '../errors/domain-error';

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

/** The longest `filter.search` a list accepts, in characters. */
export const SEARCH_MAX = 100;

/**
 * A case-insensitive pattern that matches `filter.search` literally: anywhere, or only at the
 * start with `prefix`. Null when there is no search or it is blank. Throws BAD_USER_INPUT
 * (field `filter.search`) past {@link SEARCH_MAX} characters.
 */
export function literalSearch(
  raw: string | null | undefined,
  options: { prefix?: boolean } = {},
): RegExp | null {
  const search = raw?.trim();
  if (!search) return null;
  if ([...search].length > SEARCH_MAX) {
    throw new BadUserInputError(`search must be at most ${SEARCH_MAX} characters`, 'filter.search');
  }
  return new RegExp(`${options.prefix ? '^' : ''}${escapeRegex(search)}`, 'i');
}
