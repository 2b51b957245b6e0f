import { isNumeric, toNumber } from './bson/values';
import { ErrorCode, fail } from './errors';

/** What the query engine reads from the server parameters. */
export interface QueryParameters {
  /** Refuse queries that need a collection scan (mongod's `notablescan`). */
  readonly notablescan: boolean;
}

interface Definition {
  /** Whether `setParameter` may change it (otherwise it is set at startup only). */
  runtime: boolean;
  get(): unknown;
  set(value: unknown): void;
}

function asBoolean(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (isNumeric(value)) return asNumber(value) !== 0;
  return fail(ErrorCode.BadValue, `Invalid value for parameter ${name}: expected a boolean`);
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : toNumber(value as Parameters<typeof toNumber>[0]);
}

function asInteger(name: string, value: unknown, min: number): number {
  const n = isNumeric(value) ? asNumber(value) : NaN;
  if (!Number.isInteger(n) || n < min)
    fail(ErrorCode.BadValue, `Invalid value for parameter ${name}: expected an integer >= ${min}`);
  return n;
}

/**
 * The server parameters `getParameter` and `setParameter` see: each one the engine honours
 * (`notablescan` refuses collection scans, `ttlMonitorEnabled` pauses the TTL monitor,
 * `cursorTimeoutMillis` closes idle cursors, `logLevel` and `quiet` are kept), plus the read-only
 * `featureCompatibilityVersion`. Unknown names are refused as mongod refuses them.
 */
export class ServerParameters implements QueryParameters {
  notablescan = false;
  ttlMonitorEnabled = true;
  cursorTimeoutMillis: number;
  private logLevel = 0;
  private quiet = false;
  private readonly definitions: ReadonlyMap<string, Definition>;

  /** @param cursorTimeoutMillis the idle cursor timeout the server started with. */
  constructor(
    cursorTimeoutMillis = 10 * 60 * 1000,
    onCursorTimeout: (ms: number) => void = () => {},
  ) {
    this.cursorTimeoutMillis = cursorTimeoutMillis;
    this.definitions = new Map<string, Definition>([
      [
        'featureCompatibilityVersion',
        { runtime: false, get: () => ({ version: '7.0' }), set: () => undefined },
      ],
      [
        'notablescan',
        {
          runtime: true,
          get: () => this.notablescan,
          set: (v) => (this.notablescan = asBoolean('notablescan', v)),
        },
      ],
      [
        'ttlMonitorEnabled',
        {
          runtime: true,
          get: () => this.ttlMonitorEnabled,
          set: (v) => (this.ttlMonitorEnabled = asBoolean('ttlMonitorEnabled', v)),
        },
      ],
      [
        'cursorTimeoutMillis',
        {
          runtime: true,
          get: () => this.cursorTimeoutMillis,
          set: (v) => {
            this.cursorTimeoutMillis = asInteger('cursorTimeoutMillis', v, 0);
            onCursorTimeout(this.cursorTimeoutMillis);
          },
        },
      ],
      [
        'logLevel',
        {
          runtime: true,
          get: () => this.logLevel,
          set: (v) => (this.logLevel = asInteger('logLevel', v, 0)),
        },
      ],
      [
        'quiet',
        { runtime: true, get: () => this.quiet, set: (v) => (this.quiet = asBoolean('quiet', v)) },
      ],
    ]);
  }

  /** `getParameter`: the named parameters (`'*'` for all), with details if asked. */
  get(names: string[] | '*', showDetails: boolean): Record<string, unknown> {
    const wanted = names === '*' ? [...this.definitions.keys()] : names;
    const out: Record<string, unknown> = {};
    for (const name of wanted) {
      const definition = this.definitions.get(name);
      if (!definition) continue;
      out[name] = showDetails
        ? {
            value: definition.get(),
            settableAtRuntime: definition.runtime,
            settableAtStartup: true,
          }
        : definition.get();
    }
    if (Object.keys(out).length === 0) fail(ErrorCode.InvalidOptions, 'no option found to get');
    return out;
  }

  /** `setParameter`: sets each named parameter and returns the previous value of the last. */
  set(values: Record<string, unknown>): unknown {
    const entries = Object.entries(values);
    if (entries.length === 0)
      fail(ErrorCode.InvalidOptions, 'no option found to set, use help:true to see options ');
    let was: unknown;
    for (const [name] of entries) {
      const definition = this.definitions.get(name);
      if (!definition) {
        fail(
          ErrorCode.InvalidOptions,
          `attempted to set unrecognized parameter [${name}], use help:true to see options `,
        );
      }
      if (!definition.runtime)
        fail(ErrorCode.InvalidOptions, `not allowed to change [${name}] at runtime`);
    }
    for (const [name, value] of entries) {
      const definition = this.definitions.get(name) as Definition;
      was = definition.get();
      definition.set(value);
    }
    return was;
  }
}
