/**
 * `npm run events -- dead-letters list|replay …` (from source), or in a service's container
 * `node /app/shared/dist/cli/events.js dead-letters …`: lists and replays dead letters.
 */
import { runEventsCli } from '../events/events-cli';

void runEventsCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((status) => {
  process.exitCode = status;
});
