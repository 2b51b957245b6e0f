/**
 * The Chromium the browser tests drive (Debian's package through playwright-core; playwright never
 * downloads a browser here). Jest's global setup calls {@link ensureChromium} once, so that
 * `npm test` works on a fresh machine; each browser test file starts its browser with
 * {@link launchChromium}.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Where the browser is: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The command that installs it, for a person to run when the tests cannot. */
export const CHROMIUM_INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y chromium';

/** The folder whose `*.e2e.test.ts` files need the browser. */
const BROWSER_TESTS = path.join(__dirname, '..', 'browser');

// --no-sandbox: the tests run as root in CI. The networking flags keep Chromium from calling home
// on a machine whose network is closed (its refused connections slow every start).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why this process cannot install Debian packages itself, or null when it can. */
function cannotInstall(): string | null {
  if (process.getuid?.() !== 0) return 'the tests do not run as root';
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0)
    return 'there is no apt-get';
  return null;
}

function missingChromium(reason: string): Error {
  return new Error(
    `The browser tests need Chromium at ${CHROMIUM_PATH}, and ${reason}. Install it with:\n` +
      `  ${CHROMIUM_INSTALL_COMMAND}\n` +
      '(or set CHROMIUM_PATH to a Chromium or Chrome executable)',
  );
}

/** Runs one apt-get step; throws with its output when it fails. */
function aptGet(args: string[]): void {
  const result = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20);
    throw new Error(
      `apt-get ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${output.join('\n')}\nInstall Chromium yourself: ${CHROMIUM_INSTALL_COMMAND}`,
    );
  }
}

/**
 * True when the browser tests are among those jest will run: no path pattern, or one that matches a
 * file in test/browser (jest matches `testPathPattern` against absolute paths).
 */
export function browserTestsSelected(testPathPattern: string | undefined): boolean {
  if (!testPathPattern) return true;
  const pattern = new RegExp(testPathPattern, 'i');
  return readdirSync(BROWSER_TESTS)
    .filter((name) => name.endsWith('.test.ts'))
    .some((name) => pattern.test(path.join(BROWSER_TESTS, name)));
}

/**
 * Makes sure Chromium is installed: when {@link CHROMIUM_PATH} is missing and this process is root
 * with apt-get (a developer's machine of this project, CI), runs `apt-get update` and
 * `apt-get install -y chromium` (a minute or two, once per machine); `onInstall` hears that it
 * starts. Throws at once, naming the command to run, when it cannot install, and when the install
 * fails.
 */
export function ensureChromium(onInstall: (command: string) => void = () => undefined): void {
  if (isExecutable(CHROMIUM_PATH)) return;
  // A CHROMIUM_PATH of one's own is not a Debian package name: apt-get cannot bring it.
  if (process.env.CHROMIUM_PATH) throw missingChromium('CHROMIUM_PATH names no executable');
  const reason = cannotInstall();
  if (reason !== null) throw missingChromium(reason);
  onInstall('apt-get update && apt-get install -y chromium');
  // Waits for a dpkg lock that another install holds (two test runs starting at once).
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  aptGet([...lockWait, '-qq', 'update']);
  aptGet([...lockWait, '-qq', '-y', 'install', 'chromium']);
  if (!isExecutable(CHROMIUM_PATH))
    throw missingChromium('apt-get installed chromium, but not at that path');
}

/**
 * Starts headless Chromium with the flags every browser test uses. Throws, naming the install
 * command, when Chromium is missing (a test run outside jest's global setup).
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!isExecutable(CHROMIUM_PATH)) throw missingChromium('it is not installed');
  return chromium.launch({
    ...options,
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
