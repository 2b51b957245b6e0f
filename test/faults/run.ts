/**
 * `npm run test:faults`: the fault and abuse suites (jest, jest.faults.config.cjs), then the load
 * run for 60 s. `npm run test:faults -- --soak` (or SOAK=1) makes the load run 10 minutes.
 * `--load-only` skips jest; other arguments go to jest (e.g. a test path pattern).
 * Exits non-zero when a suite fails or the load run finds a problem. The load's summary is also
 * written as JSON to LOAD_REPORT when set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './load';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const soak = args.includes('--soak') || ['1', 'true'].includes(process.env.SOAK ?? '');
  const loadOnly = args.includes('--load-only');
  const jestArgs = args.filter((arg) => arg !== '--soak' && arg !== '--load-only');
  if (!loadOnly) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'psa-faults-figures-'));
    const figures = path.join(dir, 'figures.jsonl');
    const jest = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'jest'),
      ['-c', path.join(ROOT, 'jest.faults.config.cjs'), ...jestArgs],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FAULTS_FIGURES: figures } },
    );
    if (existsSync(figures)) {
      process.stdout.write('\nFault figures\n');
      for (const line of readFileSync(figures, 'utf8').split('\n').filter(Boolean)) {
        const { name, value, unit } = JSON.parse(line) as {
          name: string;
          value: number;
          unit: string;
        };
        process.stdout.write(`  ${name}: ${value} ${unit}\n`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (jest.status !== 0) return jest.status ?? 1;
  }
  process.stdout.write(`\nLoad run (${soak ? 'soak, 10 min' : '60 s'})\n`);
  const report = await runLoad({
    durationMs: soak ? 600_000 : 60_000,
    sampleEveryMs: soak ? 30_000 : 10_000,
    projects: 10,
    subscribers: 200,
    readers: 6,
    reportPath: process.env.LOAD_REPORT,
    write: (line) => process.stdout.write(line),
  });
  if (report.problems.length > 0) {
    process.stdout.write(
      `\nLoad run FAILED:\n${report.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    return 1;
  }
  process.stdout.write(
    '\nLoad run passed: no lost writes, no lost or duplicated events, no errors.\n',
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
