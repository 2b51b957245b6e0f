import { getIntrospectionQuery, getOperationAST, parse } from 'graphql';
import { accessRulesFromSupergraph } from '../access-rules';
import { analyzeOperation } from '../operation-analysis';
import { FIXTURE_SDL, fixtureSchema } from './auth-fixture';

const schema = fixtureSchema();
const rules = accessRulesFromSupergraph(FIXTURE_SDL);

function analyze(source: string, variableValues: Record<string, unknown> = {}, maxCost = 10_000) {
  const document = parse(source);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return analyzeOperation({ schema, document, operation, variableValues, rules, maxCost });
}

describe('analyzeOperation: authorization', () => {
  it('finds nothing to require in a public operation', () => {
    expect(
      analyze('{ publicInfo items(first: 2) { totalCount edges { node { name } } } }').required,
    ).toBeNull();
  });

  it('names the strictest field the operation selects', () => {
    expect(analyze('{ item(id: "1") { name } }').required).toEqual({
      role: 'CLIENT',
      field: 'Query.item',
    });
    expect(analyze('{ item(id: "1") { price } }').required).toEqual({
      role: 'MEMBER',
      field: 'Item.price',
    });
    expect(
      analyze('mutation { login(input: {login: "a", password: "b"}) createItem(name: "x") { id } }')
        .required,
    ).toEqual({
      role: 'MANAGER',
      field: 'Mutation.createItem',
    });
  });

  it('finds fields behind aliases, fragment spreads (nested) and inline fragments', () => {
    expect(analyze('{ cheap: item(id: "1") { name } }').required?.field).toBe('Query.item');
    expect(
      analyze(
        `{ ...A } fragment A on Query { ...B } fragment B on Query { items { edges { node { p: price } } } }`,
      ).required,
    ).toEqual({ role: 'MEMBER', field: 'Item.price' });
    expect(
      analyze('mutation { ... on Mutation { ... { made: createItem(name: "x") { id } } } }')
        .required?.role,
    ).toBe('MANAGER');
  });

  it('maps fields selected through an interface or union to the strictest implementation', () => {
    expect(analyze('{ node(id: "1") { id } }').required).toEqual({
      role: 'ADMIN',
      field: 'Node.id',
    });
    expect(analyze('{ node(id: "1") { ... on Item { name } } }').required).toBeNull();
    expect(analyze('{ node(id: "1") { ... on Secret { code } } }').required?.role).toBe('ADMIN');
    expect(analyze('{ anything { __typename } }').required).toEqual({
      role: 'ADMIN',
      field: 'Anything.__typename',
    });
  });

  it('lists a mutation’s root fields with their arguments, aliases and variables included', () => {
    const { mutationFields } = analyze(
      `mutation($input: LoginInput!) { a: login(input: $input) b: login(input: {login: "Bob", password: "p"}) ...S }
       fragment S on Mutation { signUp(name: "c") }`,
      { input: { login: 'Alice', password: 'p' } },
    );
    expect(mutationFields).toEqual([
      { name: 'login', responseKey: 'a', args: { input: { login: 'Alice', password: 'p' } } },
      { name: 'login', responseKey: 'b', args: { input: { login: 'Bob', password: 'p' } } },
      { name: 'signUp', responseKey: 'signUp', args: { name: 'c' } },
    ]);
    expect(analyze('{ publicInfo }').mutationFields).toEqual([]);
  });
});

describe('analyzeOperation: depth and cost', () => {
  it('counts depth from the root field, through fragments', () => {
    expect(analyze('{ publicInfo }').depth).toBe(1);
    expect(analyze('{ items { edges { node { name } } } }').depth).toBe(4);
    expect(
      analyze(
        '{ items { ...E } } fragment E on ItemConnection { edges { node { children { totalCount } } } }',
      ).depth,
    ).toBe(5);
  });

  it('costs each field 1, multiplied below a `first` (literal, variable or default 20)', () => {
    // items 1 + 5 × (totalCount, edges, node, name, tags)
    expect(analyze('{ items(first: 5) { totalCount edges { node { name tags } } } }').cost).toBe(
      26,
    );
    expect(analyze('{ items { edges { node { name } } } }').cost).toBe(1 + 20 * 3);
    expect(analyze('query($n: Int) { items(first: $n) { totalCount } }', { n: 50 }).cost).toBe(51);
    // nested pages multiply: 1 + 5 × (edges, node, children) + 5 × 3 × totalCount
    expect(
      analyze('{ items(first: 5) { edges { node { children(first: 3) { totalCount } } } } }').cost,
    ).toBe(1 + 5 * 3 + 15);
  });

  it('multiplies a list field outside a connection by 20', () => {
    expect(analyze('{ anything { ... on Item { name tags } } }').cost).toBe(1 + 20 * 2);
  });

  it('gives the exact cost however far the multipliers take it past the limit', () => {
    const result = analyze(
      '{ items(first: 100) { edges { node { children(first: 100) { totalCount } } } } }',
      {},
      50,
    );
    expect(result).toMatchObject({ complete: true, cost: 1 + 100 * 3 + 100 * 100 });
  });

  it('stops walking after visiting more fields than the cost limit, so fragment bombs cost no more work', () => {
    const bomb = [
      '{ ...F0 }',
      ...Array.from(
        { length: 30 },
        (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
      ),
      'fragment F30 on Query { publicInfo }',
    ].join('\n');
    const result = analyze(bomb, {}, 1_000);
    expect(result.complete).toBe(false);
    expect(result.cost).toBe(1_000);
  });

  it('lets the standard introspection query through: no depth, no multipliers, no rules', () => {
    const result = analyze(getIntrospectionQuery());
    expect(result).toMatchObject({ depth: 0, required: null, complete: true });
    expect(result.cost).toBeLessThan(500);
  });
});
