import { randomBytes } from 'node:crypto';
import { signAccessToken, type Role } from '../auth/access-token';
import type { SigningKey } from '../auth/signing-keys';

/** A GraphQL response as tests read it. */
export interface GraphQLBody<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** What {@link graphqlRequest} returns: the HTTP status and headers and the parsed body. */
export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: GraphQLBody<T>;
}

/** POSTs an operation to a GraphQL endpoint over real HTTP and returns the status and body. */
export async function graphqlRequest<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as GraphQLBody<T>,
  };
}

/** Runs operations against one endpoint: `gql` answers the body, `ok` the data (or throws). */
export interface GraphQLClient {
  gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<GraphQLBody<T>>;
  ok<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<T>;
}

/** A {@link GraphQLClient} for `url`. */
export function graphqlClient(url: string): GraphQLClient {
  const gql = async <T>(
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ) => (await graphqlRequest<T>(url, query, variables, headers)).body;
  return {
    gql,
    ok: async <T>(
      query: string,
      variables: Record<string, unknown>,
      headers: Record<string, string>,
    ) => {
      const body = await gql<T>(query, variables, headers);
      if (body.errors || !body.data) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

/** `{authorization: 'Bearer …'}` for a token. */
export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});

/** A random id in the API's format (24 hex digits). */
export const randomId = (): string => randomBytes(12).toString('hex');

/** An access token for a user with `role`, signed with `key` (tests mint them per role). */
export function mintAccessToken(
  key: SigningKey,
  settings: { issuer: string; audience: string },
  role: Role,
  userId: string = randomId(),
): string {
  return signAccessToken({ userId, role, sessionId: randomId() }, key, {
    ...settings,
    ttlSeconds: 900,
  }).token;
}

/** A list of cleanups, run newest first (servers, clients, temp dirs). */
export class Cleanup {
  private readonly tasks: (() => unknown)[] = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  async run(): Promise<void> {
    while (this.tasks.length) await this.tasks.pop()?.();
  }
}

/** Polls `check` every `intervalMs` until it holds; throws after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
