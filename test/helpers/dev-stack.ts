import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Starts the dev stack through `npm start` on free ports with its own data dir, in a process
 * group of its own (as a terminal runs it), with `env` on top; resolves with the gateway URL.
 */
export function startDevStack(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; gatewayUrl: Promise<string> } {
  const child = spawn('npm', ['start', '--silent'], {
    detached: true,
    cwd: ROOT,
    env: {
      ...process.env,
      MONGO_URL: '',
      REDIS_URL: '',
      DATA_DIR: dataDir,
      EMBEDDED_MONGO_PORT: '0',
      GATEWAY_PORT: '0',
      USERS_PORT: '0',
      PROJECTS_PORT: '0',
      TASKS_PORT: '0',
      DOCUMENTS_PORT: '0',
      TIME_PORT: '0',
      NOTIFICATIONS_PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const gatewayUrl = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL API\s+(\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`dev stack exited early (${code}): ${output}`)));
  });
  return { child, gatewayUrl };
}
