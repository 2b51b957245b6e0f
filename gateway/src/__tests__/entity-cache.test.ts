import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EntityCache } from '../entity-cache';

/** The gateway's own supergraph: it declares `User.username` `@immutable`. */
const SUPERGRAPH = readFileSync(path.join(__dirname, '../../supergraph.graphql'), 'utf8');

const USERNAMES =
  'query Read__users__2($representations:[_Any!]!){_entities(representations:$representations){...on User{username}}}';
const ada = { __typename: 'User', id: 'a1' };
const bob = { __typename: 'User', id: 'b2' };

function cache(ttlMs = 1_000, maxEntries = 10): { cache: EntityCache; clock: { now: number } } {
  const clock = { now: 0 };
  const entityCache = new EntityCache({ ttlMs, maxEntries, now: () => clock.now });
  entityCache.useSupergraph(SUPERGRAPH);
  return { cache: entityCache, clock };
}

const answered = (...usernames: (string | null)[]) => ({
  data: { _entities: usernames.map((username) => (username === null ? null : { username })) },
});

describe('EntityCache', () => {
  it('answers an _entities call for usernames once it has seen every entity', () => {
    const { cache: c } = cache();
    expect(c.answer(USERNAMES, [ada, bob])).toBeNull();
    expect(c.remember(USERNAMES, [ada, bob], answered('ada', 'bob'))).toBe(true);
    expect(c.answer(USERNAMES, [bob, ada, bob])).toEqual(answered('bob', 'ada', 'bob'));
  });

  it('sends the whole call when one entity is unknown', () => {
    const { cache: c } = cache();
    c.remember(USERNAMES, [ada], answered('ada'));
    expect(c.answer(USERNAMES, [ada, bob])).toBeNull();
  });

  it('answers __typename as asked and in the order asked', () => {
    const { cache: c } = cache();
    const typed =
      'query($representations:[_Any!]!){_entities(representations:$representations){...on User{__typename username}}}';
    c.remember(USERNAMES, [ada], answered('ada'));
    expect(c.answer(typed, [ada])).toEqual({
      data: { _entities: [{ __typename: 'User', username: 'ada' }] },
    });
  });

  it.each([
    ['a field that is not immutable', '...on User{username displayName}'],
    ['an alias', '...on User{name: username}'],
    ['a directive', '...on User{username @include(if: true)}'],
    ['a type without immutable fields', '...on Project{name}'],
  ])('leaves %s to the subgraph', (_case, selection) => {
    const { cache: c } = cache();
    const query = `query($representations:[_Any!]!){_entities(representations:$representations){${selection}}}`;
    c.remember(USERNAMES, [ada], answered('ada'));
    expect(c.remember(query, [ada], answered('ada'))).toBe(false);
    expect(c.answer(query, [ada])).toBeNull();
  });

  it('leaves every operation that is not an _entities call alone', () => {
    const { cache: c } = cache();
    expect(c.answer('query { me { username } }', undefined)).toBeNull();
    expect(c.remember('query { me { username } }', undefined, { data: { me: null } })).toBe(false);
  });

  it('remembers neither a null entity (deleted, unseen) nor an answer with errors', () => {
    const { cache: c } = cache();
    c.remember(USERNAMES, [ada, bob], answered('ada', null));
    expect(c.answer(USERNAMES, [bob])).toBeNull();
    c.remember(USERNAMES, [bob], { ...answered('bob'), errors: [{ message: 'partial' }] });
    expect(c.answer(USERNAMES, [bob])).toBeNull();
    expect(c.answer(USERNAMES, [ada])).toEqual(answered('ada'));
  });

  it('trusts an entry for ttlMs only', () => {
    const { cache: c, clock } = cache(1_000);
    c.remember(USERNAMES, [ada], answered('ada'));
    clock.now = 999;
    expect(c.answer(USERNAMES, [ada])).toEqual(answered('ada'));
    clock.now = 1_000;
    expect(c.answer(USERNAMES, [ada])).toBeNull();
  });

  it('holds maxEntries at most, dropping the least recently stored', () => {
    const { cache: c } = cache(1_000, 2);
    const carl = { __typename: 'User', id: 'c3' };
    c.remember(USERNAMES, [ada, bob], answered('ada', 'bob'));
    c.remember(USERNAMES, [ada], answered('ada')); // stored again: now the newest
    c.remember(USERNAMES, [carl], answered('carl'));
    expect(c.size).toBe(2);
    expect(c.answer(USERNAMES, [bob])).toBeNull();
    expect(c.answer(USERNAMES, [ada, carl])).toEqual(answered('ada', 'carl'));
  });

  it('forgets a deleted entity', () => {
    const { cache: c } = cache();
    c.remember(USERNAMES, [ada, bob], answered('ada', 'bob'));
    c.forget('User', { id: 'a1' });
    expect(c.answer(USERNAMES, [ada])).toBeNull();
    expect(c.answer(USERNAMES, [bob])).toEqual(answered('bob'));
  });

  it('caches nothing for a supergraph without @immutable fields', () => {
    const { cache: c } = cache();
    c.useSupergraph(SUPERGRAPH.replaceAll('@sameForRole @immutable', '@sameForRole'));
    expect(c.remember(USERNAMES, [ada], answered('ada'))).toBe(false);
    expect(c.answer(USERNAMES, [ada])).toBeNull();
  });
});
