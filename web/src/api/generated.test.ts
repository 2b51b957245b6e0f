// @vitest-environment node
/// <reference types="node" />
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const WEB = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(WEB, '..', 'node_modules', '.bin');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'psa-web-codegen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('generated.ts matches operations.graphql and the supergraph (run `npm run codegen -w web` when not)', () => {
  const out = path.join(tmp, 'generated.ts');
  const generate = spawnSync(path.join(BIN, 'graphql-codegen'), ['--config', 'codegen.ts'], {
    cwd: WEB,
    env: { ...process.env, WEB_CODEGEN_OUT: out },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(generate.status, `${generate.stdout}${generate.stderr}`).toBe(0);
  const format = spawnSync(
    path.join(BIN, 'prettier'),
    ['--stdin-filepath', path.join(WEB, 'src/api/generated.ts')],
    { cwd: WEB, input: readFileSync(out, 'utf8'), encoding: 'utf8', timeout: 60_000 },
  );
  expect(format.status, format.stderr).toBe(0);
  const checkedIn = readFileSync(path.join(WEB, 'src/api/generated.ts'), 'utf8');
  expect(format.stdout === checkedIn, 'src/api/generated.ts is stale').toBe(true);
}, 120_000);
