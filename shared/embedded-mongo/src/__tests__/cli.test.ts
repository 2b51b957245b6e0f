import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ObjectId } from 'mongodb';
import { cleanup, connect, onCleanup } from './helpers/engine';

/** The `embedded-mongo` command as `npx embedded-mongo` runs it (TypeScript source via tsx). */

afterEach(cleanup);

/** Documents with any `_id` (the driver's default type assumes ObjectId). */
interface Loose {
  _id?: number | string | ObjectId;
  [field: string]: unknown;
}

const REPO_ROOT = resolve(__dirname, '../../../..');
const BIN = 'shared/embedded-mongo/bin/embedded-mongo.cjs';
const LISTENING = /^embedded-mongo listening on (mongodb:\/\/127\.0\.0\.1:(\d+))$/m;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Exit>;
}

/** Spawns the CLI from the repository root; killed in cleanup if a test leaves it running. */
function runCli(args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolveExit) =>
    child.once('close', (code, signal) => resolveExit({ code, signal })),
  );
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the URI once the CLI printed its listening line; rejects if it exits first. */
function listening(cli: Cli): Promise<{ uri: string; port: number }> {
  return new Promise((resolveUri, reject) => {
    const check = (): void => {
      const match = LISTENING.exec(cli.stdout());
      if (!match) return;
      cli.child.stdout?.off('data', check);
      resolveUri({ uri: match[1]!, port: Number(match[2]) });
    };
    cli.child.stdout?.on('data', check);
    void cli.exited.then((exit) =>
      reject(
        new Error(
          `embedded-mongo exited (${JSON.stringify(exit)}) before listening; stderr: ${cli.stderr()}`,
        ),
      ),
    );
  });
}

/** A fresh directory, removed after the test. */
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'embedded-mongo-cli-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('embedded-mongo CLI', () => {
  it('prints its URI, serves the driver, and exits 0 on SIGTERM', async () => {
    const cli = runCli(['--port', '0']);
    const { uri, port } = await listening(cli);
    expect(port).toBeGreaterThan(0);
    expect(cli.stdout()).toBe(`embedded-mongo listening on ${uri}\n`);

    const client = await connect(uri);
    expect(await client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    await client.db('cli').collection<Loose>('c').insertOne({ _id: 1, hello: 'world' });
    expect(await client.db('cli').collection<Loose>('c').findOne({ _id: 1 })).toEqual({
      _id: 1,
      hello: 'world',
    });

    // With a client still connected.
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toContain('received SIGTERM, stopping');
    await client.close();
  });

  it('also stops cleanly on SIGINT and logs JSON lines to stderr', async () => {
    const cli = runCli(['--port', '0']);
    await listening(cli);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const lines = cli.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(lines.map((line) => (JSON.parse(line) as { msg?: string }).msg)).toContain(
      'received SIGINT, stopping',
    );
  });

  it('handles a signal sent the moment the URI is printed (4 processes at once)', async () => {
    const clis = Array.from({ length: 4 }, () => runCli(['--port', '0', '--quiet']));
    const exits = await Promise.all(
      clis.map(async (cli, i) => {
        await listening(cli);
        cli.child.kill(i % 2 === 0 ? 'SIGTERM' : 'SIGINT');
        return cli.exited;
      }),
    );
    expect(exits).toEqual(Array.from({ length: 4 }, () => ({ code: 0, signal: null })));
  });

  it('keeps data across two runs with --dbpath', async () => {
    const dir = await tempDir();
    const dbpath = join(dir, 'data');

    const first = runCli(['--port', '0', '--dbpath', dbpath, '--quiet']);
    const { uri } = await listening(first);
    const client = await connect(uri);
    const docs = client.db('cli').collection<Loose>('docs');
    await docs.createIndex({ key: 1 }, { unique: true });
    await docs.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, key: `k${i}` })));
    await docs.updateOne({ _id: 7 }, { $set: { touched: true } });
    await docs.deleteOne({ _id: 8 });
    await client.close();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    // --quiet: only the shutdown notice, no info logs.
    expect(first.stderr()).not.toContain('"level":"info","time"');

    const second = runCli(['--port', '0', '--dbpath', dbpath]);
    const reopened = await connect((await listening(second)).uri);
    const again = reopened.db('cli').collection<Loose>('docs');
    expect(await again.countDocuments()).toBe(99);
    expect(await again.findOne({ _id: 7 })).toEqual({ _id: 7, key: 'k7', touched: true });
    expect(await again.findOne({ _id: 8 })).toBeNull();
    await expect(again.insertOne({ key: 'k1' })).rejects.toMatchObject({ code: 11000 });
    await reopened.close();
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a --dbpath another running CLI holds', async () => {
    const dir = await tempDir();
    const first = runCli(['--port', '0', '--dbpath', dir]);
    await listening(first);

    const second = runCli(['--port', '0', '--dbpath', dir]);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr()).toMatch(/embedded-mongo failed to start: .*locked by running process/);
    expect(second.stderr()).toContain(String(first.child.pid));
    expect(second.stdout()).toBe('');

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
  });

  it('exits non-zero with a message on stderr for a bad --port', async () => {
    const cli = runCli(['--port', 'abc']);
    const exit = await cli.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(cli.stderr()).toContain("--port must be an integer from 0 to 65535, got 'abc'");
    expect(cli.stdout()).toBe('');

    const outOfRange = runCli(['--port', '70000']);
    expect((await outOfRange.exited).code).not.toBe(0);
    expect(outOfRange.stderr()).toContain('--port must be an integer');
  });

  it('exits non-zero when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', resolveListen));
    onCleanup(() => new Promise((resolveClose) => blocker.close(resolveClose)));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const cli = runCli(['--port', String(port)]);
    const exit = await cli.exited;
    expect(exit.code).toBe(1);
    expect(cli.stderr()).toMatch(/embedded-mongo failed to start: .*EADDRINUSE/);
  });

  it('exits non-zero with the usage for an unknown option', async () => {
    const cli = runCli(['--bogus']);
    const exit = await cli.exited;
    expect(exit.code).not.toBe(0);
    expect(cli.stderr()).toContain("Unknown option '--bogus'");
    expect(cli.stderr()).toContain('Usage: embedded-mongo');
  });

  it('prints the usage with --help and exits 0', async () => {
    const cli = runCli(['--help']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    const usage = cli.stdout();
    expect(usage).toMatch(/^Usage: embedded-mongo /);
    for (const option of ['--port', '--host', '--dbpath', '--quiet'])
      expect(usage).toContain(option);
    expect(cli.stderr()).toBe('');
  });
});
