import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

describe('generated resolver types', () => {
  it('match every subgraph schema (run `npm run codegen` when they do not)', () => {
    // The codegen CLI loads ES modules that jest's CommonJS runtime cannot; run it as a process.
    const bin = path.join(ROOT, 'node_modules', '.bin', 'graphql-codegen');
    const result = spawnSync(bin, ['--config', 'codegen.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({
      status: result.status,
      output: result.status === 0 ? '' : `${result.stdout}${result.stderr}`,
    }).toEqual({
      status: 0,
      output: '',
    });
  });
});
