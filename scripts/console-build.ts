/**
 * The web console's production build (web/dist), made when it is missing or older than its
 * sources: `npm start` serves it, and the tests that load it (jest's global setup builds it once,
 * so parallel test files never run two builds into the same folder).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const WEB = path.join(ROOT, 'web');

/** Where the built console lives (the gateway's WEB_DIR). */
export const WEB_DIST = path.join(WEB, 'dist');

/** The newest modification time among `paths` (files, or directories walked recursively). */
function newest(paths: string[]): number {
  let latest = 0;
  for (const entry of paths) {
    if (!existsSync(entry)) continue;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      latest = Math.max(latest, newest(readdirSync(entry).map((name) => path.join(entry, name))));
    } else latest = Math.max(latest, stat.mtimeMs);
  }
  return latest;
}

/** True when web/dist is older than the console's sources (or missing). */
export function consoleBuildIsStale(): boolean {
  const built = path.join(WEB_DIST, 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => path.join(WEB, name));
  return !existsSync(built) || statSync(built).mtimeMs < newest(sources);
}

/**
 * Builds the console when stale (`npm run build -w web`); `onBuild` hears that it starts. Returns
 * the build's output when it failed, null when the console is built.
 */
export function ensureConsoleBuilt(onBuild: () => void = () => undefined): string | null {
  if (!consoleBuildIsStale()) return null;
  onBuild();
  const result = spawnSync('npm', ['run', 'build', '--silent', '-w', 'web'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return result.status === 0 ? null : `${result.stdout}${result.stderr}`;
}
