import { Kind, parse, type DocumentNode, type FieldNode, type SelectionNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { afterMutationPlugin } from './after-mutation.plugin';
import type { GatewayContext } from './gateway-context';
import { fieldsWithLinkedDirective } from './linked-directive';

/** The `@link` URL the caching directive is declared under, without its version. */
export const CACHING_SPEC_URL = 'https://psa.example/caching/';

/** A subgraph's answer as the gateway's data sources return it. */
export type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** What an `_entities` call asks of each type it names, in the order it asks. */
type EntitySelection = ReadonlyMap<string, readonly string[]>;

/** A representation's cached fields and when they stop being trusted. */
interface Entry {
  fields: Record<string, unknown>;
  expires: number;
}

export interface EntityCacheOptions {
  /** How long a value is trusted, ms: the upper bound on serving a deleted entity. */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Answers the gateway's `_entities` calls that ask only for `@immutable` fields — values that
 * never change while the entity exists and are the same for every signed-in caller, such as a
 * user's username — from what earlier calls returned, so a project page's manager and assignees
 * cost no users-subgraph call once seen (ADR 0015). Anything else, and any call with one unknown
 * entity, goes to the subgraph as before; its answer fills the cache. Entries expire after
 * `ttlMs`; an entity deleted through this gateway is forgotten at once.
 */
export class EntityCache {
  private readonly entries = new Map<string, Entry>();
  private readonly selections = new Map<string, EntitySelection | null>();
  private readonly now: () => number;
  private immutable: ReadonlySet<string> = new Set();

  constructor(private readonly options: EntityCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The `Type.field`s that may be cached: those the (new) supergraph declares `@immutable`. */
  useSupergraph(supergraphSdl: string): void {
    this.immutable = fieldsWithLinkedDirective(supergraphSdl, CACHING_SPEC_URL, 'immutable');
    this.selections.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer to `query` for `representations`, or null when the subgraph must answer. */
  answer(
    query: string,
    representations: unknown,
    document?: DocumentNode,
  ): SubgraphResponse | null {
    const selection = this.selectionOf(query, document);
    if (!selection || !Array.isArray(representations)) return null;
    const now = this.now();
    const entities: Record<string, unknown>[] = [];
    for (const representation of representations as unknown[]) {
      const { typename, wanted } = askedOf(selection, representation);
      const entry = wanted && this.entries.get(keyOf(representation));
      if (
        !wanted ||
        !entry ||
        entry.expires <= now ||
        !wanted.every((f) => f === '__typename' || f in entry.fields)
      ) {
        return null;
      }
      entities.push(
        Object.fromEntries(
          wanted.map((field) => [field, field === '__typename' ? typename : entry.fields[field]]),
        ),
      );
    }
    return { data: { _entities: entities } };
  }

  /**
   * Keeps the immutable fields of a subgraph's complete answer to `query`. True when `query` is a
   * call the cache answers once it holds its entities (a miss), false for any other call.
   */
  remember(
    query: string,
    representations: unknown,
    response: SubgraphResponse,
    document?: DocumentNode,
  ): boolean {
    const selection = this.selectionOf(query, document);
    if (!selection) return false;
    const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
    if (response.errors?.length || !Array.isArray(representations)) return true;
    if (!Array.isArray(entities) || entities.length !== representations.length) return true;
    const expires = this.now() + this.options.ttlMs;
    representations.forEach((representation: unknown, i) => {
      const entity = entities[i] as Record<string, unknown> | null | undefined;
      const { wanted } = askedOf(selection, representation);
      // A null entity (deleted, or not visible) is never remembered.
      if (!wanted || !entity || typeof entity !== 'object') return;
      const key = keyOf(representation);
      const fields = { ...this.entries.get(key)?.fields };
      for (const field of wanted) {
        if (field !== '__typename' && field in entity) fields[field] = entity[field];
      }
      this.entries.delete(key); // re-inserted last: the Map's order is the eviction order
      this.entries.set(key, { fields, expires });
    });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return true;
  }

  /** Forgets the entity with key fields `key` (e.g. `{ id }`) of type `typename`. */
  forget(typename: string, key: Record<string, unknown>): void {
    this.entries.delete(keyOf({ __typename: typename, ...key }));
  }

  /**
   * What `query` asks per type when it is an `_entities` call for immutable fields only; null
   * for anything else (aliases, arguments, directives, nested selections, other fields).
   */
  private selectionOf(query: string, document?: DocumentNode): EntitySelection | null {
    let selection = this.selections.get(query);
    if (selection === undefined) {
      selection = entitySelection(document ?? parse(query), this.immutable);
      // Subgraph operations come from cached query plans: few distinct ones.
      if (this.selections.size >= 1_000) this.selections.clear();
      this.selections.set(query, selection);
    }
    return selection;
  }
}

/** A representation's type, and the fields `selection` asks of that type (none: not cacheable). */
function askedOf(
  selection: EntitySelection,
  representation: unknown,
): { typename: string; wanted: readonly string[] | undefined } {
  const typename = (representation as { __typename?: unknown } | null)?.__typename;
  return typeof typename === 'string'
    ? { typename, wanted: selection.get(typename) }
    : { typename: '', wanted: undefined };
}

// The gateway builds representations from the key fields in a fixed order: the JSON is the key.
const keyOf = (representation: unknown): string => JSON.stringify(representation);

const plainField = (selection: SelectionNode): selection is FieldNode =>
  selection.kind === Kind.FIELD &&
  !selection.alias &&
  !selection.arguments?.length &&
  !selection.directives?.length &&
  !selection.selectionSet;

function entitySelection(
  document: DocumentNode,
  immutable: ReadonlySet<string>,
): EntitySelection | null {
  const [operation, ...others] = document.definitions;
  if (others.length || operation?.kind !== Kind.OPERATION_DEFINITION) return null;
  if (operation.operation !== 'query' || operation.directives?.length) return null;
  const [root, ...rest] = operation.selectionSet.selections;
  if (rest.length || root?.kind !== Kind.FIELD || root.name.value !== '_entities') return null;
  if (root.alias || root.directives?.length || !root.selectionSet) return null;
  const byType = new Map<string, string[]>();
  for (const fragment of root.selectionSet.selections) {
    if (fragment.kind !== Kind.INLINE_FRAGMENT || !fragment.typeCondition) return null;
    if (fragment.directives?.length) return null;
    const typename = fragment.typeCondition.name.value;
    const fields = byType.get(typename) ?? [];
    for (const selection of fragment.selectionSet.selections) {
      if (!plainField(selection)) return null;
      const name = selection.name.value;
      if (name !== '__typename' && !immutable.has(`${typename}.${name}`)) return null;
      fields.push(name);
    }
    byType.set(typename, fields);
  }
  return byType.size ? byType : null;
}

/** After a caller deletes their account through this gateway, its cached user is forgotten. */
export function forgetDeletedAccountsPlugin(
  cache: EntityCache,
): ApolloServerPlugin<GatewayContext> {
  return afterMutationPlugin(new Set(['deleteAccount']), (identity) =>
    cache.forget('User', { id: identity.userId }),
  );
}
