import { Decimal128, Double, Long } from 'bson';
import { isPlainObject, type Document } from '../bson/values';
import type { CursorRegistry } from '../cursors';
import type { FailPoints } from '../fail-points';
import { ErrorCode, fail } from '../errors';
import type { Catalog } from '../storage/catalog';
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

/** Refuses options whose semantics the engine does not implement, instead of ignoring them. */
export function rejectUnsupportedOptions(command: Document): void {
  const collation = command.collation;
  if (isPlainObject(collation) && collation.locale !== 'simple') {
    fail(ErrorCode.NotImplemented, 'collation is not supported by the embedded MongoDB engine');
  }
}
