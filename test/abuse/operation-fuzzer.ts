/**
 * Random operations from the API schema: valid ones (right types, known ids), broken ones (wrong
 * types, missing or unknown arguments and fields, operator objects where scalars belong) and the
 * classic attacks (depth, aliases, fragment cycles, huge strings, batches), plus raw HTTP requests
 * no client library would send.
 */
import type { GraphQLScalarType } from 'graphql';
import {
  getNamedType,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { Random, RawRequest } from './abuse-kit';

/** Who sends a case: one of the signed-in identities, nobody, or a forged token. */
export type Sender = 'admin' | 'manager' | 'member' | 'client' | 'anonymous' | 'forged';

/** Where a case goes: mostly the gateway, sometimes a subgraph directly (as a pod could). */
export type Target = 'gateway' | 'users' | 'projects' | 'tasks' | 'documents';

export interface FuzzCase {
  /** What the case tries (for the tally and failure messages). */
  kind: string;
  sender: Sender;
  target: Target;
  request: RawRequest;
}

/** A case before its target is chosen. */
type Made = Omit<FuzzCase, 'target'>;

/** Ids that exist, so some random operations reach real data. */
export interface KnownIds {
  ids: string[];
}

/** Mutations that end or change the sender's session: sent only anonymously or forged. */
const SESSION_ENDING = new Set([
  'logout',
  'logoutAll',
  'deleteAccount',
  'changePassword',
  'setUserRole',
  'refreshSession',
]);

const SENDERS: readonly Sender[] = ['admin', 'manager', 'member', 'client', 'anonymous', 'forged'];

const STRINGS = [
  '',
  ' ',
  'x',
  'Website relaunch',
  'https://files.example.com/sow.pdf',
  'http://files.example.com/sow.pdf',
  'javascript:alert(1)',
  'ftp://x',
  '2026-12-01T00:00:00Z',
  'not a date',
  'ünïcødé ✓ 😀',
  '\u0000nul',
  '\ud800',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '$where',
  '$gt',
  '.*',
  '(a+)+$',
  '{"$gt": ""}',
  '__proto__',
  'constructor',
  'a'.repeat(101),
  'a'.repeat(5_001),
  'b'.repeat(20_000),
  '000000000000000000000000',
  'ffffffffffffffffffffffff',
  '0'.repeat(25),
];

const INTS = [0, 1, 2, 5, 20, 100, 101, -1, 2 ** 31, -(2 ** 31) - 1, 1.5];

const OPERATOR_OBJECTS: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $regex: '(a+)+$' },
  { toString: 'x' },
  JSON.parse('{"__proto__": {"admin": true}}') as unknown,
];

/** Values of the wrong kind for any position. */
const WRONG_VALUES: unknown[] = [
  ...OPERATOR_OBJECTS,
  [],
  ['a', 'b'],
  42,
  -0.5,
  true,
  null,
  {},
  { a: { b: { c: { d: { e: {} } } } } },
  'x'.repeat(70_000),
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Builds random operations and requests from `schema`. */
export class OperationFuzzer {
  private variableCount = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly random: Random,
    private readonly known: KnownIds,
  ) {}

  /** One random case. */
  next(): FuzzCase {
    const target: Target = this.random.chance(0.1)
      ? this.random.pick(['users', 'projects', 'tasks', 'documents'] as const)
      : 'gateway';
    const r = this.random.next();
    const made =
      r < 0.4
        ? this.operationCase(true)
        : r < 0.65
          ? this.operationCase(false)
          : r < 0.85
            ? this.attackCase()
            : this.rawCase();
    return { ...made, target };
  }

  private sender(): Sender {
    return this.random.pick(SENDERS);
  }

  private post(kind: string, sender: Sender, body: unknown): Made {
    return {
      kind,
      sender,
      request: {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    };
  }

  /** A random operation; `valid` keeps the variables well-typed, else one is broken. */
  private operationCase(valid: boolean): Made {
    const mutation = this.random.chance(0.4);
    const root = mutation ? this.schema.getMutationType() : this.schema.getQueryType();
    if (!root) throw new Error('schema without a root type');
    let sender = this.sender();
    const variables: Record<string, Json> = {};
    const definitions: string[] = [];
    const fields = Object.values(root.getFields());
    const selections: string[] = [];
    const count = this.random.int(1, 3);
    for (let i = 0; i < count; i++) {
      const field = this.random.pick(fields);
      if (SESSION_ENDING.has(field.name) && sender !== 'anonymous') sender = 'forged';
      selections.push(this.fieldSelection(field, 0, this.random.int(1, 6), variables, definitions));
    }
    let kind = mutation ? 'mutation' : 'query';
    if (!valid) kind = `${kind}:${this.breakOperation(variables, definitions, selections)}`;
    const header = definitions.length ? `(${definitions.join(', ')})` : '';
    const query = `${mutation ? 'mutation' : 'query'} Fuzz${header} { ${selections.join(' ')} }`;
    return this.post(kind, sender, { query, variables });
  }

  /** Breaks a generated operation one way; returns how. */
  private breakOperation(
    variables: Record<string, Json>,
    definitions: string[],
    selections: string[],
  ): string {
    const names = Object.keys(variables);
    const how = this.random.int(0, 5);
    if (how <= 1 && names.length) {
      const name = this.random.pick(names);
      variables[name] = this.breakValue(variables[name] ?? null) as Json;
      return 'wrong-variable';
    }
    if (how === 2 && names.length) {
      delete variables[this.random.pick(names)];
      return 'missing-variable';
    }
    if (how === 3) {
      selections.push(`unknownField${this.random.int(0, 9)} { id }`);
      return 'unknown-field';
    }
    if (how === 4) {
      definitions.push(`$unused: String`);
      selections.push('nope: __typename @unknownDirective');
      return 'unknown-directive';
    }
    const first = selections[0] ?? '';
    selections[0] = first.replace(/\(/, '(bogusArg: 1, ');
    return 'unknown-argument';
  }

  /** `value` with one leaf replaced by a value of the wrong kind. */
  private breakValue(value: unknown): unknown {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length && this.random.chance(0.8)) {
        const key = this.random.pick(keys);
        const copy = { ...(value as Record<string, unknown>) };
        copy[key] = this.breakValue(copy[key]);
        return copy;
      }
      return { ...(value as Record<string, unknown>), unknownInputField: 1 };
    }
    return this.random.pick(WRONG_VALUES);
  }

  private fieldSelection(
    field: GraphQLField<unknown, unknown>,
    depth: number,
    maxDepth: number,
    variables: Record<string, Json>,
    definitions: string[],
  ): string {
    const alias = this.random.chance(0.1) ? `a${this.random.int(0, 99)}: ` : '';
    const args = field.args
      .filter((arg) => arg.type instanceof GraphQLNonNull || this.random.chance(0.5))
      .map((arg) => `${arg.name}: ${this.argumentText(arg, variables, definitions)}`);
    const argText = args.length ? `(${args.join(', ')})` : '';
    const type = getNamedType(field.type);
    if (isLeafType(type)) return `${alias}${field.name}${argText}`;
    return `${alias}${field.name}${argText} ${this.selectionSet(type as GraphQLObjectType, depth + 1, maxDepth, variables, definitions)}`;
  }

  private selectionSet(
    type: GraphQLObjectType,
    depth: number,
    maxDepth: number,
    variables: Record<string, Json>,
    definitions: string[],
  ): string {
    const fields = Object.values(type.getFields());
    const leaves = fields.filter((f) => isLeafType(getNamedType(f.type)));
    const picked: string[] = [];
    const count = this.random.int(1, 4);
    for (let i = 0; i < count; i++) {
      const candidates = depth >= maxDepth && leaves.length ? leaves : fields;
      const field = this.random.pick(candidates);
      picked.push(this.fieldSelection(field, depth, maxDepth, variables, definitions));
    }
    if (this.random.chance(0.1)) picked.push('__typename');
    if (isInterfaceType(type) || this.random.chance(0.05)) picked.push('__typename');
    return `{ ${picked.join(' ')} }`;
  }

  private argumentText(
    arg: GraphQLArgument,
    variables: Record<string, Json>,
    definitions: string[],
  ): string {
    const value = this.valueFor(arg.type, 0);
    if (this.random.chance(0.75)) {
      const name = `v${this.variableCount++}`;
      definitions.push(`$${name}: ${String(arg.type)}`);
      variables[name] = value;
      return `$${name}`;
    }
    return literal(arg.type, value);
  }

  /** A well-typed value for `type` (random within it: not necessarily one the API accepts). */
  valueFor(type: GraphQLInputType, depth: number): Json {
    if (type instanceof GraphQLNonNull) return this.valueFor(type.ofType, depth);
    if (type instanceof GraphQLList) {
      return Array.from({ length: this.random.int(0, 3) }, () =>
        this.valueFor(type.ofType, depth + 1),
      );
    }
    if (type instanceof GraphQLEnumType) return this.random.pick(type.getValues()).name;
    if (type instanceof GraphQLInputObjectType) {
      const value: Record<string, Json> = {};
      for (const field of Object.values(type.getFields())) {
        if (field.type instanceof GraphQLNonNull || this.random.chance(0.5)) {
          value[field.name] = this.valueFor(field.type, depth + 1);
        }
      }
      return value;
    }
    const scalar = type as GraphQLScalarType;
    switch (scalar.name) {
      case 'ID':
        return this.random.chance(0.7) && this.known.ids.length
          ? this.random.pick(this.known.ids)
          : this.random.pick(STRINGS);
      case 'Int':
        return this.random.pick(
          INTS.filter(Number.isSafeInteger).filter((n) => Math.abs(n) < 2 ** 31),
        );
      case 'Float':
        return this.random.pick([0, 1.5, -1]);
      case 'Boolean':
        return this.random.chance(0.5);
      case 'DateTime':
        return this.random.pick([
          '2026-12-01T00:00:00Z',
          '2020-01-01T00:00:00.000Z',
          '2030-06-15T12:30:00+02:00',
        ]);
      default:
        return this.random.pick(STRINGS);
    }
  }

  /** Attacks on the parser, validation and limits. */
  private attackCase(): Made {
    const sender = this.sender();
    switch (this.random.int(0, 11)) {
      case 0: {
        // Deeper than MAX_QUERY_DEPTH (12), through a cycle in the types.
        const levels = this.random.int(13, 60);
        let inner = 'id';
        for (let i = 0; i < levels; i++) {
          inner = `projects(first: 1) { edges { node { manager { ${inner} } } } }`;
        }
        return this.post('deep', sender, { query: `{ me { ${inner} } }` });
      }
      case 1: {
        const count = this.random.pick([100, 1_000, 5_000]);
        const fields = Array.from({ length: count }, (_, i) => `a${i}: me { id }`).join(' ');
        return this.post(`aliases-${count}`, sender, { query: `{ ${fields} }` });
      }
      case 2: {
        const query =
          'query { me { ...A } } fragment A on User { id ...B } fragment B on User { username ...A }';
        return this.post('fragment-cycle', sender, { query });
      }
      case 3: {
        // Fragments that spread each other many times: a bomb if expanded naively.
        const levels = 20;
        const fragments = Array.from(
          { length: levels },
          (_, i) =>
            `fragment F${i} on User { id ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : ''} }`,
        );
        return this.post('fragment-bomb', sender, {
          query: `{ me { ...F0 } } ${fragments.join(' ')}`,
        });
      }
      case 4: {
        const size = this.random.pick([100_000, 1_000_000, 1_100_000]);
        return this.post(`huge-string-${size}`, sender, {
          query: 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
          variables: { input: { name: 'n'.repeat(size) } },
        });
      }
      case 5: {
        const count = this.random.pick([2, 10, 100]);
        const batch = Array.from({ length: count }, () => ({ query: '{ me { id } }' }));
        return this.post(`batch-${count}`, sender, batch);
      }
      case 6: {
        const garbage = this.random.pick([
          '{',
          '}}}',
          'query {',
          '{ me { id } ',
          'mutation',
          '{ me(id: ) }',
          '"\\u0000"',
          '#',
          '{ me { id } } { me { id } }',
          '{ me @skip(if: $x) { id } }',
          `{ ${'['.repeat(10_000)} }`,
          'query Q($a: [[[[[[[[[[String]]]]]]]]]]) { me { id } }',
        ]);
        return this.post('garbage', sender, { query: garbage });
      }
      case 7:
        return this.post('several-operations', sender, {
          query: 'query A { me { id } } query B { me { username } }',
        });
      case 8:
        return this.post('subscription-over-http', sender, {
          query: `subscription { statusUpdated(projectId: "${this.known.ids[0] ?? 'x'}") { id } }`,
        });
      case 9:
        return this.post('introspection', sender, {
          query: '{ __schema { types { name fields { name } } } }',
        });
      case 10: {
        const first = this.random.pick([1_000, 100_000, 2 ** 31 - 1]);
        return this.post('cost', sender, {
          query: `{ projects(first: ${first}) { edges { node { tasks(first: ${first}) { edges { node { id } } } } } } }`,
        });
      }
      default: {
        const variables = this.random.pick<unknown>([
          'not an object',
          [1, 2],
          42,
          { input: this.random.pick(WRONG_VALUES) },
        ]);
        return this.post('bad-variables', sender, {
          query: 'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
          variables,
        });
      }
    }
  }

  /** Requests that are not GraphQL over HTTP as any client library sends it. */
  private rawCase(): Made {
    const sender = this.sender();
    const raw = (kind: string, request: RawRequest): Made => ({ kind, sender, request });
    const json = { 'content-type': 'application/json' };
    switch (this.random.int(0, 11)) {
      case 0:
        return raw('invalid-json', {
          method: 'POST',
          path: '/graphql',
          headers: json,
          body: this.random.pick([
            '{',
            '{"query": ',
            'nul',
            '\u0000\u0001',
            '{"query":"{ me { id } }"',
            '[',
            '"',
          ]),
        });
      case 1:
        return raw('json-of-wrong-shape', {
          method: 'POST',
          path: '/graphql',
          headers: json,
          body: this.random.pick([
            'null',
            '1',
            '"{ me { id } }"',
            '[]',
            '{}',
            '{"query": 1}',
            '{"query": null}',
            '{"query": {"$gt": ""}}',
            '{"query": "{ me { id } }", "variables": "x"}',
            '{"query": "{ me { id } }", "operationName": 5}',
            '{"query": "{ me { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
            '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
          ]),
        });
      case 2: {
        const contentType = this.random.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/graphql',
          'application/json; charset=utf-16',
          'image/png',
        ]);
        return raw(`content-type:${contentType}`, {
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': contentType },
          body: '{"query": "{ me { id } }"}',
        });
      }
      case 3:
        return raw('no-content-type', {
          method: 'POST',
          path: '/graphql',
          body: '{"query": "{ me { id } }"}',
        });
      case 4: {
        const size = this.random.pick([1_048_577, 3_000_000]);
        return raw(`huge-body-${size}`, {
          method: 'POST',
          path: '/graphql',
          headers: json,
          body: Buffer.alloc(size, 0x20),
        });
      }
      case 5: {
        const query = this.random.pick([
          '{ me { id } }',
          '{ projects(first: 1) { totalCount } }',
          'mutation { logout }',
          '{',
          '',
        ]);
        const params = new URLSearchParams({ query });
        if (this.random.chance(0.3))
          params.set('variables', this.random.pick(['{', '[]', '{"a":1}']));
        const preflight = this.random.chance(0.5)
          ? { 'apollo-require-preflight': 'true' }
          : undefined;
        return raw('get', {
          method: 'GET',
          path: `/graphql?${params.toString()}`,
          headers: preflight,
        });
      }
      case 6:
        return raw('get-garbage-query-string', {
          method: 'GET',
          path: `/graphql?${this.random.pick(['%', 'query=%E0%A4%A', 'query', 'query=&query=', 'variables=%7B'])}`,
          headers: { 'apollo-require-preflight': 'true' },
        });
      case 7: {
        const method = this.random.pick(['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE']);
        return raw(`method:${method}`, {
          method,
          path: '/graphql',
          headers: json,
          body: method === 'HEAD' || method === 'TRACE' ? undefined : '{}',
        });
      }
      case 8:
        return raw('random-bytes', {
          method: 'POST',
          path: '/graphql',
          headers: json,
          body: Buffer.from(
            Array.from({ length: this.random.int(1, 2_000) }, () => this.random.int(0, 255)),
          ),
        });
      case 9:
        return raw('content-length-lies', {
          method: 'POST',
          path: '/graphql',
          headers: { ...json, 'content-length': '5' },
          body: '{"query": "{ me { id } }"}',
        });
      case 10:
        return raw('header-abuse', {
          method: 'POST',
          path: '/graphql',
          headers: {
            ...json,
            authorization: this.random.pick([
              'Bearer',
              'Bearer ',
              'Basic YTpi',
              `Bearer ${'a'.repeat(8_000)}`,
              'Bearer a.b.c',
            ]),
            'x-request-id': this.random.pick(['../../etc/passwd', 'a'.repeat(500), '\u00ff']),
          },
          body: '{"query": "{ me { id } }"}',
        });
      default:
        return raw('unknown-path', {
          method: 'GET',
          path: this.random.pick(['/', '/graphql/x', '/../../etc/passwd', '/%00']),
        });
    }
  }
}

/** `value` as a GraphQL literal of `type` (enum values bare, input objects as `{a: …}`). */
export function literal(type: GraphQLInputType, value: Json): string {
  if (value === null) return 'null';
  const named = getNamedType(type);
  if (Array.isArray(value)) {
    const inner = type instanceof GraphQLNonNull ? type.ofType : type;
    const item = inner instanceof GraphQLList ? inner.ofType : inner;
    return `[${value.map((v) => literal(item, v)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{${Object.entries(value)
      .map(([key, v]) => `${key}: ${literal(fields[key]?.type ?? named, v)}`)
      .join(', ')}}`;
  }
  if (named instanceof GraphQLEnumType && typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Root fields of the schema's object types, for tests that walk them. */
export const rootFields = (schema: GraphQLSchema): GraphQLField<unknown, unknown>[] =>
  [schema.getQueryType(), schema.getMutationType()]
    .filter((type): type is GraphQLObjectType => isObjectType(type))
    .flatMap((type) => Object.values(type.getFields()));
