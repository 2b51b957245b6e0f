import { Decimal128, Double, Long } from 'bson';
import { isPlainObject, toView, type Document } from '../bson/values';
import type { CursorRegistry } from '../cursors';
import type { FailPoints } from '../fail-points';
import type { LocalSessions } from '../sessions';
import { ErrorCode, fail } from '../errors';
import { Aggregator } from 'mingo/aggregator';
import { parseCollation, type Collation } from '../query/collation';
import { QUERY_OPTIONS, translateQueryErrors } from '../query/matcher';
import type { Catalog } from '../storage/catalog';
import type { Collection } from '../storage/collection';
import type { EngineLogger } from './dispatch';

/** What every command handler may use. */
export interface CommandContext {
  readonly catalog: Catalog;
  readonly cursors: CursorRegistry;
  readonly connectionId: number;
  /** `host:port` of the client, as `whatsmyuri` reports it. */
  readonly clientAddress: string;
  readonly server: ServerInfo;
  /** Where the engine logs (validation warnings, for one). */
  readonly logger: EngineLogger;
  /** Open client connections right now. */
  connectionCount(): number;
  /** The logical sessions seen, for `$listLocalSessions`. */
  readonly sessions: LocalSessions;
  /** The fail points `configureFailPoint` sets; undefined unless test commands are enabled. */
  readonly failPoints?: FailPoints;
}

export interface ServerInfo {
  readonly host: string;
  readonly port: number;
  readonly startedAt: Date;
}

/**
 * Runs one command. Handlers are synchronous on purpose: a command sees and leaves the catalog
 * consistent without interleaving with another connection's command.
 */
export type CommandHandler = (command: Document, db: string, ctx: CommandContext) => Document;

/** The collection name a command targets (the value of its first field). */
export function targetCollection(command: Document, name: string): string {
  const value = command[name];
  if (typeof value !== 'string' || value.length === 0) {
    fail(
      ErrorCode.InvalidNamespace,
      `collection name has invalid type ${value === undefined ? 'missing' : typeof value}`,
    );
  }
  return value;
}

/** A numeric command option as a JS number, or undefined when absent. */
export function numberOption(command: Document, field: string): number | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Double) return value.value;
  if (value instanceof Decimal128) return Number(value.toString());
  if (typeof value === 'boolean') return value ? 1 : 0;
  return fail(ErrorCode.TypeMismatch, `Field '${field}' should be a number, not ${typeof value}`);
}

/** An object command option, or undefined when absent. */
export function documentOption(command: Document, field: string): Document | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    fail(ErrorCode.TypeMismatch, `Field '${field}' must be of BSON type object`);
  return value;
}

/**
 * The collation an operation compares strings with: its `collation` option (`{locale: "simple"}`
 * is binary comparison), else the collection's default collation, else none (binary).
 */
export function operationCollation(
  options: Document,
  collection: Collection | undefined,
): Collation | undefined {
  const value = options.collation;
  if (value !== undefined && value !== null) return parseCollation(value);
  return collection?.defaultCollation;
}

/**
 * A command's `let` variables, each evaluated once as an aggregation expression (constants,
 * `$literal`, `$$NOW`, ...); undefined when the command has none.
 */
export function letVariables(command: Document): Document | undefined {
  const spec = command.let;
  if (spec === undefined || spec === null) return undefined;
  if (!isPlainObject(spec)) {
    fail(ErrorCode.TypeMismatch, "BSON field 'let' is the wrong type, expected type 'object'");
  }
  for (const name of Object.keys(spec)) {
    if (!/^[a-z\u0080-\uffff][\w\u0080-\uffff]*$/.test(name)) {
      fail(
        ErrorCode.FailedToParse,
        `'${name}' starts with an invalid character for a user variable name`,
      );
    }
  }
  const [values] = translateQueryErrors(
    () => new Aggregator([{ $addFields: toView(spec) }], QUERY_OPTIONS).run([{}]) as Document[],
  );
  return values ?? {};
}
