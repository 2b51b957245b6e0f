import { trusted, Types, type Model, type PipelineStage, type QueryFilter } from 'mongoose';
import { BadUserInputError } from '../errors/domain-error';

/** Relay connection arguments as every list field takes them. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/**
 * A Relay connection. `totalCount` is a function so the count query runs only when a client
 * selects the field (GraphQL's default resolver calls it).
 */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Page size when the client gives none, and the largest it may ask for. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Documents paged by connections carry these (mongoose `timestamps`). */
interface Paged {
  _id: Types.ObjectId;
  createdAt: Date;
}

/** An opaque cursor: the position (createdAt, _id) of an item in the stable order. */
export function encodeCursor(item: Paged): string {
  return Buffer.from(JSON.stringify([item.createdAt.getTime(), item._id.toHexString()])).toString(
    'base64url',
  );
}

/** Decodes a cursor or throws BAD_USER_INPUT naming the `after` argument. */
export function decodeCursor(cursor: string): { createdAt: Date; id: Types.ObjectId } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string' &&
      Types.ObjectId.isValid(value[1]) &&
      /^[0-9a-f]{24}$/.test(value[1])
    ) {
      return { createdAt: new Date(value[0]), id: new Types.ObjectId(value[1]) };
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('after is not a valid cursor', 'after');
}

/** Validates `first`: an integer from 0 to 100 (default 20). */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first must be an integer from 0 to ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/**
 * One page of `model` matching `filter`, in the stable order (createdAt, then _id; reversed when
 * `newestFirst`), starting after the `after` cursor. Stable under concurrent inserts: a page boundary is a position in that
 * order, not an offset. Serve it with an index on the filter's fields followed by
 * `{createdAt: 1, _id: 1}`.
 */
export async function paginate<T extends Paged>(
  model: Model<T>,
  filter: QueryFilter<T>,
  args: ConnectionArgs,
  newestFirst = false,
): Promise<Connection<T>> {
  const first = pageSize(args.first);
  const beyond = newestFirst ? '$lt' : '$gt';
  let pageFilter = filter;
  if (args.after) {
    const { createdAt, id } = decodeCursor(args.after);
    // Operators we build ourselves are marked trusted: the connection sanitizes filters.
    pageFilter = {
      $and: [
        filter,
        {
          $or: [
            { createdAt: trusted({ [beyond]: createdAt }) },
            { createdAt, _id: trusted({ [beyond]: id }) },
          ],
        },
      ],
    } as QueryFilter<T>;
  }
  const items =
    first === 0
      ? []
      : ((await model
          .find(pageFilter)
          .sort(newestFirst ? { createdAt: -1, _id: -1 } : { createdAt: 1, _id: 1 })
          .limit(first + 1)
          .lean({ virtuals: false })
          .exec()) as unknown as T[]);
  const page = items.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: items.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: () => model.countDocuments(filter).exec(),
  };
}

/**
 * The order of names in lists: ICU's English rules at strength 2, so case is ignored ("alpha",
 * "Beta", "gamma") and accents are not. A list ordered by a name sorts, compares its cursor and
 * is served by an index all under this collation: MongoDB uses an index for a query only when
 * both carry the same collation, and a cursor compared otherwise would skip or repeat items.
 */
export const NAME_COLLATION = { locale: 'en', strength: 2 } as const;

/** An opaque cursor of a list ordered by a name: the field, its value (null: none) and the _id. */
function encodeNameCursor(field: string, value: string | null, id: Types.ObjectId): string {
  return Buffer.from(JSON.stringify(['name', field, value, id.toHexString()])).toString(
    'base64url',
  );
}

/** Decodes a name-ordered list's cursor for `field` or throws BAD_USER_INPUT naming `after`. */
function decodeNameCursor(
  cursor: string,
  field: string,
): { value: string | null; id: Types.ObjectId } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 4 &&
      value[0] === 'name' &&
      value[1] === field &&
      (typeof value[2] === 'string' || value[2] === null) &&
      typeof value[3] === 'string' &&
      /^[0-9a-f]{24}$/.test(value[3])
    ) {
      return { value: value[2], id: new Types.ObjectId(value[3]) };
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('after is not a valid cursor for this order', 'after');
}

/**
 * One page of `model` matching `filter`, ordered by the string `field` A to Z under
 * {@link NAME_COLLATION} (documents without one first, as MongoDB sorts null), then by _id, starting
 * after the `after` cursor. As with {@link paginate}, a page boundary is a position in that order,
 * not an offset. Serve it with an index `{[field]: 1, _id: 1}` (after any equality fields of the
 * filter) created with `collation: NAME_COLLATION`. Cursors of other orders are refused.
 */
export async function paginateByName<T extends Paged>(
  model: Model<T>,
  filter: QueryFilter<T>,
  field: string & keyof T,
  args: ConnectionArgs,
): Promise<Connection<T>> {
  const first = pageSize(args.first);
  let pageFilter = filter;
  if (args.after) {
    const { value, id } = decodeNameCursor(args.after, field);
    // Under the collation `$gt` and the equality compare as the sort does: names equal but for
    // case are ties, ordered by _id. After a missing name come the other missing ones, then every
    // name (BSON orders null before strings). Operators we build are trusted, as in paginate.
    const beyond =
      value === null
        ? [{ [field]: null, _id: trusted({ $gt: id }) }, { [field]: trusted({ $type: 'string' }) }]
        : [{ [field]: trusted({ $gt: value }) }, { [field]: value, _id: trusted({ $gt: id }) }];
    pageFilter = { $and: [filter, { $or: beyond }] } as QueryFilter<T>;
  }
  const items =
    first === 0
      ? []
      : ((await model
          .find(pageFilter)
          .collation(NAME_COLLATION)
          .sort({ [field]: 1, _id: 1 })
          .limit(first + 1)
          .lean({ virtuals: false })
          .exec()) as unknown as T[]);
  const edges = items.slice(0, first).map((node) => {
    const name: unknown = node[field];
    return {
      cursor: encodeNameCursor(field, typeof name === 'string' ? name : null, node._id),
      node,
    };
  });
  return {
    edges,
    pageInfo: { hasNextPage: items.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: () => model.countDocuments(filter).exec(),
  };
}

/**
 * A list asked for a text search comes best match first, so it takes no other order: throws
 * BAD_USER_INPUT naming `orderBy` when both are given.
 */
export function assertUnorderedSearch(search: string | null, orderBy: unknown): void {
  if (search !== null && orderBy !== null && orderBy !== undefined) {
    throw new BadUserInputError(
      'orderBy cannot be combined with filter.search: search results come best match first',
      'orderBy',
    );
  }
}

/** Where a ranked page keeps each document's text score while it is built. */
const SCORE = '__textScore';

/** An opaque cursor of a ranked list: the position (text score, _id) of an item. */
function encodeSearchCursor(score: number, id: Types.ObjectId): string {
  return Buffer.from(JSON.stringify(['text', score, id.toHexString()])).toString('base64url');
}

/** Decodes a ranked list's cursor or throws BAD_USER_INPUT naming the `after` argument. */
function decodeSearchCursor(cursor: string): { score: number; id: Types.ObjectId } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === 'text' &&
      typeof value[1] === 'number' &&
      Number.isFinite(value[1]) &&
      typeof value[2] === 'string' &&
      /^[0-9a-f]{24}$/.test(value[2])
    ) {
      return { score: value[1], id: new Types.ObjectId(value[2]) };
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('after is not a valid cursor for this search', 'after');
}

/**
 * One page of `model` matching `filter` and the text search `search` (MongoDB `$search` syntax,
 * served by the collection's text index), best match first: by text score, descending, then _id.
 * A page boundary is a position in that order, so pages are stable while the matched documents do
 * not change (a document's score depends on its own text only). Cursors of a ranked list are not
 * valid for an unranked one and the other way round.
 */
export async function paginateSearch<T extends Paged>(
  model: Model<T>,
  filter: QueryFilter<T>,
  search: string,
  args: ConnectionArgs,
): Promise<Connection<T>> {
  const first = pageSize(args.first);
  // $text must sit in the first $match of a pipeline, and not under $or/$nor: it is ANDed with the
  // filter at the top level, where MongoDB and the engine both plan it through the text index.
  // Marked trusted like the cursor's operators: the connection sanitizes filters, and refuses an
  // untrusted $text.
  const matched = { ...filter, $text: trusted({ $search: search }) } as QueryFilter<T>;
  const after = args.after ? decodeSearchCursor(args.after) : null;
  const pipeline: PipelineStage[] = [
    { $match: matched as PipelineStage.Match['$match'] },
    { $addFields: { [SCORE]: { $meta: 'textScore' } } },
  ];
  if (after) {
    pipeline.push({
      $match: {
        $or: [{ [SCORE]: { $lt: after.score } }, { [SCORE]: after.score, _id: { $gt: after.id } }],
      },
    });
  }
  pipeline.push({ $sort: { [SCORE]: -1, _id: 1 } }, { $limit: first + 1 });
  const items = first === 0 ? [] : await model.aggregate<T & { [SCORE]: number }>(pipeline).exec();
  const edges = items.slice(0, first).map(({ [SCORE]: score, ...node }) => ({
    cursor: encodeSearchCursor(score, node._id),
    node: node as unknown as T,
  }));
  return {
    edges,
    pageInfo: { hasNextPage: items.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: () => model.countDocuments(matched).exec(),
  };
}

/** A connection with nothing in it; `first` is still validated as for a real page. */
export function emptyConnection<T>(args: ConnectionArgs): Connection<T> {
  pageSize(args.first);
  return {
    edges: [],
    pageInfo: { hasNextPage: false, endCursor: null },
    totalCount: () => Promise.resolve(0),
  };
}
