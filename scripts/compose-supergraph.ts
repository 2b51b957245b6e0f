/**
 * `npm run compose`: composes the subgraph schemas into gateway/supergraph.graphql (checked in;
 * the gateway starts from it). Exits non-zero with the composition errors.
 */
import { writeFileSync } from 'node:fs';
import { SUPERGRAPH_PATH } from '../gateway/src/supergraph';
import { composeSupergraph } from './supergraph-composition';

const result = composeSupergraph();
if (result.errors) {
  process.stderr.write(`Composition failed:\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.exit(1);
}
writeFileSync(SUPERGRAPH_PATH, result.sdl);
process.stdout.write(`Wrote ${SUPERGRAPH_PATH}\n`);
