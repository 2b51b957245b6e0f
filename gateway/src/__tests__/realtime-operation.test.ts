import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { SUBGRAPH_HEADER_SDL } from '@psa/shared';
import { getOperationAST, parse, print, type GraphQLSchema } from 'graphql';
import { resultSharingFromSupergraph, type ResultSharing } from '../result-sharing';
import { realtimeOperation } from '../subscriptions/realtime-operation';
import { SUPERGRAPH_PATH } from '../supergraph';

let schema: GraphQLSchema;
let sharing: ResultSharing;

// The API schema clients see, as the gateway builds it from the checked-in supergraph.
beforeAll(async () => {
  const supergraphSdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
  const gateway = new ApolloGateway({ supergraphSdl });
  ({ schema } = await gateway.load());
  await gateway.stop();
  sharing = resultSharingFromSupergraph(supergraphSdl);
});

const PROJECT = '0123456789abcdef01234567';

function analyse(query: string, variables: Record<string, unknown> = { projectId: PROJECT }) {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return realtimeOperation(schema, sharing, document, operation, variables);
}

describe('realtimeOperation', () => {
  it('resolves statusUpdated through statusUpdate(id) with the same selection and alias', () => {
    const op = analyse(
      'subscription ($projectId: ID!) { feed: statusUpdated(projectId: $projectId) { message author { username } } }',
    );
    expect(op).toMatchObject({ kind: 'status', projectId: PROJECT, responseKey: 'feed' });
    expect(print(op.resolution)).toContain('feed: statusUpdate(id: $__psaEventId)');
    // $projectId only served the subscription: the resolution does not declare it.
    expect(print(op.resolution)).not.toContain('$projectId');
    expect(op.perCaller).toBe(false);
  });

  it('keeps the fragments and variables the selection uses', () => {
    const op = analyse(
      `subscription ($projectId: ID!, $first: Int) { taskChanged(projectId: $projectId) {
        kind task { ...T project { tasks(first: $first) { totalCount } } } } }
      fragment T on Task { id title }`,
      { projectId: PROJECT, first: 5 },
    );
    expect(op.kind).toBe('tasks');
    expect(print(op.resolution)).toContain('fragment T on Task');
    expect(op.variables).toEqual({ first: 5 });
  });

  it('marks selections whose result depends on who asks', () => {
    const base = (selection: string) =>
      analyse(
        `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { ${selection} } }`,
      ).perCaller;
    expect(base('author { username role }')).toBe(false);
    expect(base('project { name members { username } tasks(first: 5) { totalCount } }')).toBe(
      false,
    );
    expect(base('author { email }')).toBe(true);
    expect(base('author { assignedTasks(first: 5) { totalCount } }')).toBe(true);
    expect(base('project { documents(first: 5) { totalCount } }')).toBe(true);
  });

  it('gives the same key to the same selection written differently, another to other variables', () => {
    const a = analyse(
      'subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { id message } }',
    );
    const b = analyse(`subscription Feed($projectId: ID!) {
      statusUpdated(projectId: $projectId) {
        id
        message
      }
    }`);
    const c = analyse(
      'subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { id } }',
    );
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
  });

  it('refuses what it cannot serve, with BAD_USER_INPUT', () => {
    const refused = (query: string, variables?: Record<string, unknown>) => {
      try {
        analyse(query, variables);
      } catch (error) {
        return (error as { extensions?: { code?: string } }).extensions?.code;
      }
      return 'served';
    };
    expect(refused('query { me { id } }')).toBe('BAD_USER_INPUT');
    expect(
      refused('subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { id } }', {
        projectId: 'nope',
      }),
    ).toBe('BAD_USER_INPUT');
    expect(
      refused(
        'subscription ($projectId: ID!) { ...F } fragment F on Subscription { statusUpdated(projectId: $projectId) { id } }',
      ),
    ).toBe('BAD_USER_INPUT');
  });
});

describe('result sharing', () => {
  // A subgraph of its own with one undeclared field: nothing but `@sameForRole` lets a value be
  // shared, so a field added without it is resolved per subscriber.
  const TEST_SDL = `
    type StatusUpdate @key(fields: "id") {
      id: ID! @sameForRole
      message: String! @sameForRole
      mood: String
    }
    type Query { statusUpdate(id: ID!): StatusUpdate @sameForRole }
    type Subscription { statusUpdated(projectId: ID!): StatusUpdate! }
  `;
  let testSchema: GraphQLSchema;
  let testSharing: ResultSharing;

  beforeAll(async () => {
    const composed = composeServices([
      {
        name: 'test',
        url: 'http://127.0.0.1:1/graphql',
        typeDefs: parse(`${SUBGRAPH_HEADER_SDL}\n${TEST_SDL}`),
      },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl });
    ({ schema: testSchema } = await gateway.load());
    await gateway.stop();
    testSharing = resultSharingFromSupergraph(composed.supergraphSdl);
  });

  const perCaller = (selection: string): boolean => {
    const document = parse(
      `subscription ($projectId: ID!) { statusUpdated(projectId: $projectId) { ${selection} } }`,
    );
    const operation = getOperationAST(document);
    if (!operation) throw new Error('no operation');
    return realtimeOperation(testSchema, testSharing, document, operation, { projectId: PROJECT })
      .perCaller;
  };

  it('shares only what is declared @sameForRole; an undeclared field is per subscriber', () => {
    expect(testSharing.toJSON()).toEqual([
      'PageInfo.endCursor',
      'PageInfo.hasNextPage',
      'Query.statusUpdate',
      'StatusUpdate.id',
      'StatusUpdate.message',
    ]);
    expect(perCaller('id message __typename')).toBe(false);
    expect(perCaller('mood')).toBe(true);
    expect(perCaller('id ... on StatusUpdate { mood }')).toBe(true);
  });

  it('shares nothing for a supergraph that does not link the sharing spec', () => {
    const unlinked = resultSharingFromSupergraph(
      readFileSync(SUPERGRAPH_PATH, 'utf8').replace(
        /https:\/\/psa\.example\/sharing\//g,
        'https://other/',
      ),
    );
    expect(unlinked.toJSON()).toEqual([]);
    expect(unlinked.sameForRole('StatusUpdate', 'message')).toBe(false);
  });
});
