import { buildSchema, Kind, parse, validate } from 'graphql';
import type { DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import supergraph from '../../../gateway/supergraph.graphql?raw';
import * as operations from './operations';

function documents(): [string, DocumentNode][] {
  const out: [string, DocumentNode][] = [];
  for (const [name, value] of Object.entries(operations)) {
    if (typeof value === 'string' && /^\s*(query|mutation|subscription)\b/.test(value)) {
      out.push([name, parse(value)]);
    } else if (typeof value === 'object' && value !== null && 'kind' in value) {
      if ((value as DocumentNode).kind === Kind.DOCUMENT) out.push([name, value as DocumentNode]);
    }
  }
  return out;
}

describe('operations', () => {
  // The composed schema the gateway serves: a renamed or dropped field fails here, not in a browser.
  const schema = buildSchema(supergraph, { assumeValidSDL: true });

  it.each(documents())('%s is valid against gateway/supergraph.graphql', (_name, document) => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it('covers every operation', () => {
    expect(documents().length).toBeGreaterThanOrEqual(20);
  });
});
