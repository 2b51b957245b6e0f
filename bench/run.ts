/**
 * Benchmark runner: `npm run bench` (quick profile) or `npm run bench -- --full`. Prints a
 * markdown table per suite and writes bench/results/<date>-<suite>.json. Figures only: nothing
 * here asserts a time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runEmbeddedMongoBench } from './embedded-mongo.bench';
import { runEngineBench } from './engine.bench';
import { runFanoutBench } from './fanout.bench';
import { runFederatedBench } from './federated.bench';
import { runFilesBench } from './files.bench';
import { runGatewayBench } from './gateway.bench';
import { runRemindersBench } from './reminders.bench';
import { runScalingBench } from './scaling.bench';
import { runTimeBench } from './time.bench';
import { runTopologiesBench } from './topologies.bench';
import { runWritesBench } from './writes.bench';
import { formatTable, type ScenarioResult } from './lib/measure';

const SUITES: Record<string, (full: boolean) => Promise<ScenarioResult[]>> = {
  'embedded-mongo': runEmbeddedMongoBench,
  engine: runEngineBench,
  fanout: runFanoutBench,
  gateway: runGatewayBench,
  federated: runFederatedBench,
  files: runFilesBench,
  reminders: runRemindersBench,
  scaling: runScalingBench,
  time: runTimeBench,
  topologies: runTopologiesBench,
  writes: runWritesBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const only = args.filter((a) => !a.startsWith('--'));
  const names = only.length ? only : Object.keys(SUITES);
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  process.stdout.write(`Machine: ${machine}\nProfile: ${full ? 'full' : 'quick'}\n`);
  for (const name of names) {
    const suite = SUITES[name];
    if (!suite)
      throw new Error(`unknown suite '${name}' (known: ${Object.keys(SUITES).join(', ')})`);
    const results = await suite(full);
    process.stdout.write(`\n## ${name}\n\n${formatTable(results)}\n`);
    const file = path.join(__dirname, 'results', `${date}-${name}.json`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(
      file,
      JSON.stringify({ date: new Date().toISOString(), machine, full, results }, null, 2),
    );
    process.stdout.write(`\n(written to ${path.relative(process.cwd(), file)})\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
