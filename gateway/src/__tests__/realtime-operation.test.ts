import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { getOperationAST, parse, print, type GraphQLSchema } from 'graphql';
import { realtimeOperation } from '../subscriptions/realtime-operation';
import { SUPERGRAPH_PATH } from '../supergraph';

let schema: GraphQLSchema;

// The API schema clients see, as the gateway builds it from the checked-in supergraph.
beforeAll(async () => {
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8') });
  ({ schema } = await gateway.load());
  await gateway.stop();
});

const PROJECT = '0123456789abcdef01234567';

function analyse(query: string, variables: Record<string, unknown> = { projectId: PROJECT }) {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return realtimeOperation(schema, document, operation, variables);
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
