/**
 * mongod's `failCommand` fail point (`configureFailPoint`, a test command that mongod serves only
 * with `enableTestCommands`): makes chosen commands fail with an error code, close the
 * connection or carry a write concern error, so that drivers' error handling can be tested.
 */
import { isPlainObject, type Document } from './bson/values';
import { ErrorCode, fail, MongoServerError } from './errors';

/** What a triggered fail point does to one command. */
export interface FailAction {
  /** Close the connection instead of answering. */
  closeConnection: boolean;
  /** Answer this error instead of running the command. */
  error?: MongoServerError;
  /** Run the command, then add this `writeConcernError` to its reply. */
  writeConcernError?: Document;
  /** Error labels the reply carries (they replace the server's own). */
  errorLabels?: string[];
  /** Wait this long before acting (`blockConnection`). */
  blockMs: number;
}

interface FailCommandSettings {
  commands: Set<string>;
  namespace: string | undefined;
  data: Document;
  /** Triggers left (Infinity for alwaysOn). */
  remaining: number;
  /** Matching commands to let pass first (`mode: {skip: n}`). */
  skip: number;
}

const DATA_FIELDS = new Set([
  'failCommands',
  'closeConnection',
  'errorCode',
  'errorLabels',
  'writeConcernError',
  'blockConnection',
  'blockTimeMS',
  'namespace',
  'failInternalCommands',
]);

function nonNegativeInteger(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0)
    fail(ErrorCode.BadValue, `'${field}' must be a non-negative integer`);
  return n;
}

/** The fail points of one engine, set by `configureFailPoint` and consulted before each command. */
export class FailPoints {
  private failCommand: FailCommandSettings | undefined;

  /** Runs `configureFailPoint`; answers mongod's reply (`count`: times it was entered before). */
  configure(command: Document): Document {
    const name = command.configureFailPoint;
    if (name !== 'failCommand') {
      fail(ErrorCode.BadValue, `FailPoint not found: ${String(name)}`);
    }
    const mode = command.mode;
    if (mode === 'off') {
      this.failCommand = undefined;
      return { count: 0, ok: 1 };
    }
    let remaining = Infinity;
    let skip = 0;
    if (isPlainObject(mode)) {
      if (mode.times !== undefined) remaining = nonNegativeInteger(mode.times, 'times');
      else if (mode.skip !== undefined) skip = nonNegativeInteger(mode.skip, 'skip');
      else fail(ErrorCode.BadValue, "'mode' must be 'alwaysOn', 'off', {times: n} or {skip: n}");
    } else if (mode !== 'alwaysOn') {
      fail(ErrorCode.BadValue, "'mode' must be 'alwaysOn', 'off', {times: n} or {skip: n}");
    }
    const data = command.data;
    if (!isPlainObject(data) || !Array.isArray(data.failCommands)) {
      fail(
        ErrorCode.BadValue,
        "failCommand requires 'data.failCommands', an array of command names",
      );
    }
    for (const field of Object.keys(data)) {
      if (!DATA_FIELDS.has(field)) {
        fail(
          ErrorCode.NotImplemented,
          `failCommand's '${field}' is not supported by the embedded MongoDB engine`,
        );
      }
    }
    this.failCommand = {
      commands: new Set(data.failCommands.map(String)),
      namespace: typeof data.namespace === 'string' ? data.namespace : undefined,
      data,
      remaining,
      skip,
    };
    return { count: 0, ok: 1 };
  }

  /**
   * What the fail point does to `commandName` on `db` (with its target collection `collection`),
   * or undefined when it does not apply. A trigger counts against `{times: n}`.
   */
  trigger(commandName: string, db: string, collection: unknown): FailAction | undefined {
    const settings = this.failCommand;
    if (!settings || !settings.commands.has(commandName)) return undefined;
    if (settings.namespace !== undefined && settings.namespace !== `${db}.${String(collection)}`)
      return undefined;
    if (settings.skip > 0) {
      settings.skip--;
      return undefined;
    }
    if (settings.remaining <= 0) return undefined;
    settings.remaining--;
    if (settings.remaining <= 0) this.failCommand = undefined;
    const { data } = settings;
    const action: FailAction = {
      closeConnection: data.closeConnection === true,
      blockMs:
        data.blockConnection === true
          ? nonNegativeInteger(data.blockTimeMS ?? 0, 'blockTimeMS')
          : 0,
    };
    if (Array.isArray(data.errorLabels)) action.errorLabels = data.errorLabels.map(String);
    if (data.errorCode !== undefined) {
      action.error = new MongoServerError(
        nonNegativeInteger(data.errorCode, 'errorCode'),
        "Failing command via 'failCommand' failpoint",
      );
    } else if (isPlainObject(data.writeConcernError)) {
      action.writeConcernError = data.writeConcernError;
    }
    return action;
  }
}
