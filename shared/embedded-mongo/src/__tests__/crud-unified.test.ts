/**
 * The MongoDB drivers' CRUD conformance tests (the unified test format) against the engine,
 * through the official driver: one jest test per specification test, named after its file and
 * description. Tests whose runOnRequirements exclude a standalone 7.0 server are skipped with
 * the reason in their name. See the README's "The embedded MongoDB engine" section.
 */
import type { Document } from 'mongodb';
import { cleanup, connect, startEngine } from './helpers/engine';
import { skipReason, supportsSchemaVersion } from './unified/run-on';
import { loadSpecFiles, locateSpecs } from './unified/spec-files';
import { runUnifiedTest, type RunnerContext } from './unified/unified-runner';

/**
 * Tests that no server can pass with the Node.js driver: each expects the driver's command
 * (`commandStartedEvent`) to carry `bypassDocumentValidation: false`, which the driver omits for
 * aggregate, findAndModify and bulk inserts (lib/operations/aggregate.js, find_and_modify.js,
 * bulk/common.js, in 7.8.0 as in 7.9.1, the latest). The driver's own CRUD runner skips these five
 * (NODE-6484, for DRIVERS-2865). What they would show of the server, that it accepts an explicit
 * `false` and validates as usual, validation.test.ts checks with these commands sent as the
 * specification has drivers send them.
 */
const DRIVER_DEVIATIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'Aggregate with $out passes bypassDocumentValidation: false',
    'BulkWrite passes bypassDocumentValidation: false',
    'FindOneAndReplace passes bypassDocumentValidation: false',
    'FindOneAndUpdate passes bypassDocumentValidation: false',
    'InsertMany passes bypassDocumentValidation: false',
  ].map((description) => [
    `bypassDocumentValidation.json/${description}`,
    'the Node.js driver does not send bypassDocumentValidation: false (NODE-6484; its own CRUD runner skips this test); validation.test.ts sends the command instead',
  ]),
);

const location = locateSpecs();

if (location.directory === undefined) {
  const line = `MongoDB CRUD unified tests not run: no specification files at ${location.searched} (set MONGO_SPECS to a crud-unified directory)`;
  process.stdout.write(`${line}\n`);
  it.skip(line, () => undefined);
} else {
  for (const { name, content } of loadSpecFiles(location.directory)) {
    describe(name, () => {
      let context: RunnerContext | undefined;
      beforeAll(async () => {
        const server = await startEngine({ enableTestCommands: true });
        context = { uri: server.uri, internal: await connect(server.uri) };
      });
      afterAll(cleanup);

      const fileSkip = skipReason(content.runOnRequirements);
      for (const test of content.tests as Document[]) {
        const description = String(test.description);
        const reason =
          fileSkip ??
          skipReason(test.runOnRequirements) ??
          test.skipReason ??
          DRIVER_DEVIATIONS[`${name}/${description}`];
        if (reason !== undefined) {
          it.skip(`${description} [skipped: ${String(reason)}]`, () => undefined);
        } else if (!supportsSchemaVersion(content.schemaVersion)) {
          it(description, () => {
            throw new Error(
              `schemaVersion ${String(content.schemaVersion)} is not supported by the runner`,
            );
          });
        } else {
          it(description, async () => {
            if (!context) throw new Error('the engine did not start');
            await runUnifiedTest(content, test, context);
          });
        }
      }
    });
  }
}
