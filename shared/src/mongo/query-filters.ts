import type { QueryFilter } from 'mongoose';
import { BadUserInputError } from '../errors/domain-error';

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
 * The `$search` string of a text-index query for `filter.search`: trimmed, null when there is no
 * search or it is blank. Throws BAD_USER_INPUT (field `filter.search`) past {@link SEARCH_MAX}
 * characters. The string keeps MongoDB's `$search` syntax (`"a phrase"`, `-excluded`), which the
 * README documents for API users.
 */
export function textSearch(raw: string | null | undefined): string | null {
  const search = raw?.trim();
  if (!search) return null;
  if ([...search].length > SEARCH_MAX) {
    throw new BadUserInputError(`search must be at most ${SEARCH_MAX} characters`, 'filter.search');
  }
  return search;
}
