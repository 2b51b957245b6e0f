import { Long, UUID } from 'bson';
import os from 'node:os';
import { isPlainObject, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { MAX_BSON_OBJECT_SIZE } from '../storage/document-rules';
import { MAX_MESSAGE_SIZE_BYTES } from '../wire/protocol';
import type { CommandContext, CommandHandler } from './command-context';
import { MAX_WRITE_BATCH_SIZE } from './write.commands';

/** The MongoDB version the engine presents itself as (wire version 21). */
export const SERVER_VERSION = '7.0.14';
const MAX_WIRE_VERSION = 21;

// No topologyVersion: its presence switches drivers to streaming hello, which we do not serve.
const hello: CommandHandler = (_command, _db, ctx) => ({
  helloOk: true,
  isWritablePrimary: true,
  ismaster: true,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
  maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: 30,
  connectionId: ctx.connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
  ok: 1,
});

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded',
  versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['embedded'],
  modules: [],
  javascriptEngine: 'none',
  ok: 1,
});

function serverStatus(_command: Document, _db: string, ctx: CommandContext): Document {
  const uptimeMs = Date.now() - ctx.server.startedAt.getTime();
  const memory = process.memoryUsage();
  return {
    host: `${os.hostname()}:${ctx.server.port}`,
    version: SERVER_VERSION,
    process: 'embedded-mongo',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(uptimeMs / 1000),
    uptimeMillis: Long.fromNumber(uptimeMs),
    localTime: new Date(),
    connections: { current: ctx.connectionCount(), available: 1_000_000 },
    mem: {
      bits: 64,
      resident: Math.round(memory.rss / 1048576),
      virtual: Math.round(memory.rss / 1048576),
    },
    metrics: {
      cursor: { open: { total: ctx.cursors.size } },
      queryExecutor: {
        scanned: ctx.catalog.metrics.scanned,
        scannedObjects: ctx.catalog.metrics.scannedObjects,
      },
    },
    ok: 1,
  };
}

const ok: CommandHandler = () => ({ ok: 1 });

/** Fields of getParameter / setParameter that are no parameter names. */
const PARAMETER_COMMAND_FIELDS = new Set([
  'getParameter',
  'setParameter',
  '$db',
  'lsid',
  'comment',
  '$readPreference',
  '$clusterTime',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

function parameterFields(command: Document): Document {
  return Object.fromEntries(
    Object.entries(command).filter(([key]) => !PARAMETER_COMMAND_FIELDS.has(key)),
  );
}

function requireAdmin(db: string, name: string): void {
  if (db !== 'admin')
    fail(ErrorCode.Unauthorized, `${name} may only be run against the admin database.`);
}

const getParameter: CommandHandler = (command, db, { catalog }) => {
  requireAdmin(db, 'getParameter');
  const selector = command.getParameter;
  const all = selector === '*' || (isPlainObject(selector) && selector.allParameters === true);
  const showDetails = isPlainObject(selector) && selector.showDetails === true;
  const names = all ? '*' : Object.keys(parameterFields(command));
  return { ...catalog.parameters.get(names, showDetails), ok: 1 };
};

const setParameter: CommandHandler = (command, db, { catalog }) => {
  requireAdmin(db, 'setParameter');
  const was = catalog.parameters.set(parameterFields(command));
  return { was, ok: 1 };
};

/** Handshake, diagnostics and session commands. */
export const serverCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  whatsmyuri: (_c, _d, ctx) => ({ you: ctx.clientAddress, ok: 1 }),
  getParameter,
  setParameter,
  getCmdLineOpts: () => ({ argv: process.argv.slice(1), parsed: {}, ok: 1 }),
  serverStatus,
  hostInfo: () => ({
    system: {
      currentTime: new Date(),
      hostname: os.hostname(),
      cpuAddrSize: 64,
      memSizeMB: Math.round(os.totalmem() / 1048576),
      numCores: os.cpus().length,
      cpuArch: os.arch(),
    },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    extra: {},
    ok: 1,
  }),
  endSessions: (command, _db, ctx) => {
    ctx.sessions.end(command.endSessions);
    return { ok: 1 };
  },
  killAllSessions: ok,
  killSessions: ok,
  refreshSessions: ok,
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),
  connectionStatus: () => ({
    authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
    ok: 1,
  }),
  getLastError: () => ({ n: 0, err: null, ok: 1 }),
  configureFailPoint: (command, db, ctx) => {
    // As mongod: a test command, unknown unless test commands are enabled.
    if (!ctx.failPoints) fail(ErrorCode.CommandNotFound, "no such command: 'configureFailPoint'");
    if (db !== 'admin') {
      fail(
        ErrorCode.Unauthorized,
        'configureFailPoint may only be run against the admin database.',
      );
    }
    return ctx.failPoints.configure(command);
  },
  logout: ok,
};
