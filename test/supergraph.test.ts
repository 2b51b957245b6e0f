import { readFileSync } from 'node:fs';
import { SUPERGRAPH_PATH } from '../gateway/src/supergraph';
import { composeSupergraph } from '../scripts/supergraph-composition';

describe('gateway/supergraph.graphql', () => {
  it('composes without errors and matches the checked-in file (run `npm run compose` when it does not)', () => {
    const result = composeSupergraph();
    expect(result.errors).toBeNull();
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.sdl);
  });
});
