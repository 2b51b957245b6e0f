import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A lint rule set for the Dockerfile (no hadolint here): the rules the README and issue 7 ask of
 * the images, checked on the Dockerfile's instructions.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SERVICES = [
  'users',
  'projects',
  'tasks',
  'documents',
  'time',
  'notifications',
  'gateway',
] as const;

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (!pending && trimmed === '')) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending
      ? { ...pending, text: `${pending.text} ${part}` }
      : { text: part, line: index + 1 };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    if (match) {
      instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: pending.line });
    }
    pending = null;
  });
  return instructions;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** `ENV A=b C="d"` and `ENV A b` as pairs. */
function envOf(instructions: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of instructions.filter((i) => i.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const match of args.matchAll(/(\w+)=("[^"]*"|\S*)/g)) {
      env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
    }
  }
  return env;
}

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const stages = stagesOf(instructions);
const runtime = stages.at(-1)!;
const runtimeOf = (keyword: string): Instruction[] =>
  runtime.instructions.filter((i) => i.keyword === keyword);
const runs = instructions.filter((i) => i.keyword === 'RUN');
const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

describe('Dockerfile', () => {
  it('pins every base image to a full version tag (no latest, no bare name)', () => {
    const stageNames = new Set<string>();
    for (const stage of stages) {
      // A stage chosen by a build argument (`service-${SERVICE}`) must exist for every service.
      const candidates = stage.from.includes('${SERVICE}')
        ? SERVICES.map((service) => stage.from.replace('${SERVICE}', service))
        : [stage.from];
      for (const image of candidates) {
        if (stageNames.has(image)) continue;
        expect(image).toMatch(/^[\w./-]+(:[\w.-]*\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$/);
        expect(image).not.toMatch(/:latest$/);
      }
      if (stage.name) stageNames.add(stage.name);
    }
  });

  it('uses one Node image, a slim variant, for every stage', () => {
    const images = new Set(stages.map((s) => s.from).filter((from) => from.startsWith('node:')));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^node:\d+\.\d+\.\d+-\w+-slim$/);
  });

  it('is multi-stage: the runtime copies build output from earlier stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const earlier = new Set(stages.slice(0, -1).map((s) => s.name));
    const copiesFrom = runtimeOf('COPY')
      .map((c) => /--from=(\S+)/.exec(c.args)?.[1])
      .filter((from): from is string => from !== undefined);
    expect(copiesFrom.length).toBeGreaterThan(0);
    for (const from of copiesFrom) expect(earlier.has(from)).toBe(true);
  });

  it('runs the runtime stage as a non-root user, set after the last COPY and RUN', () => {
    const users = runtimeOf('USER');
    expect(users).toHaveLength(1);
    expect(users[0]!.args).not.toMatch(/^(root|0)(:|$)/);
    const lastWrite = Math.max(
      ...runtime.instructions
        .filter((i) => i.keyword === 'COPY' || i.keyword === 'RUN')
        .map((i) => i.line),
    );
    expect(users[0]!.line).toBeGreaterThan(lastWrite);
  });

  it('checks health with node on /healthz (slim images have no curl)', () => {
    const [healthcheck] = runtimeOf('HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/\bCMD node -e /);
    expect(healthcheck?.args).toContain('/healthz');
    expect(healthcheck?.args).not.toMatch(/\b(curl|wget)\b/);
  });

  it('stops with SIGTERM', () => {
    expect(runtimeOf('STOPSIGNAL').map((i) => i.args)).toEqual(['SIGTERM']);
  });

  it('sets NODE_ENV=production in the runtime stage', () => {
    expect(envOf(runtime.instructions).NODE_ENV).toBe('production');
  });

  it('starts compiled JavaScript with node, in exec form', () => {
    const [cmd] = runtimeOf('CMD');
    expect(JSON.parse(cmd?.args ?? 'null')).toEqual([
      'node',
      expect.stringMatching(/dist\/.+\.js$/),
    ]);
    expect(dockerfile).not.toMatch(/\btsx\b|--conditions=source/);
  });

  it('installs with npm ci, never npm install', () => {
    const npmCommands = runs.flatMap((r) => r.args.match(/\bnpm\s+\w+/g) ?? []);
    expect(npmCommands).toContain('npm ci');
    expect(npmCommands.filter((c) => /^npm\s+(install|i|add)$/.test(c))).toEqual([]);
  });

  it('installs production dependencies only for the runtime', () => {
    const runtimeInstalls = runs.filter(
      (r) => /\bnpm ci\b/.test(r.args) && /--omit=dev/.test(r.args),
    );
    expect(runtimeInstalls).toHaveLength(1);
  });

  it('exposes one port per service stage', () => {
    for (const service of SERVICES) {
      const stage = stages.find((s) => s.name === `service-${service}`);
      expect(stage?.instructions.filter((i) => i.keyword === 'EXPOSE')).toHaveLength(1);
    }
  });

  it('never ADDs a URL or a git repository', () => {
    for (const add of instructions.filter((i) => i.keyword === 'ADD')) {
      expect(add.args).not.toMatch(/(https?|git):\/\/|git@/);
    }
  });

  it('copies no keys, environment files or local data into an image', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
      .filter((i) => !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source).not.toMatch(/\.pem$|\.key$|(^|\/)\.env|(^|\/)secrets(\/|$)|\.data|^\.\/?$/);
    }
    const env = envOf(instructions);
    for (const name of Object.keys(env)) {
      expect(name).not.toMatch(/PRIVATE_KEY$|PASSWORD|SECRET|TOKEN/);
    }
    expect(dockerfile).not.toContain('-----BEGIN');
  });

  it('has a .dockerignore keeping out installs, builds, data, git, keys and env files', () => {
    const ignored = new Set(
      dockerignore.map((line) => line.replace(/^\*\*\//, '').replace(/\/$/, '')),
    );
    for (const entry of ['node_modules', 'dist', '.data', '.git', '*.pem', '.env', 'secrets']) {
      expect(ignored).toContain(entry);
    }
  });
});
