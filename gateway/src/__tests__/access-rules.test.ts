import { readFileSync } from 'node:fs';
import { accessRulesFromSupergraph, strictest } from '../access-rules';
import { SUPERGRAPH_PATH } from '../supergraph';
import { FIXTURE_SDL } from './auth-fixture';

describe('accessRulesFromSupergraph', () => {
  const rules = accessRulesFromSupergraph(FIXTURE_SDL);

  it('reads field rules: @auth alone is any signed-in caller (CLIENT), requires: names the minimum', () => {
    expect(rules.requirement('Query', 'item')).toBe('CLIENT');
    expect(rules.requirement('Mutation', 'createItem')).toBe('MANAGER');
    expect(rules.requirement('Item', 'price')).toBe('MEMBER');
    expect(rules.requirement('Query', 'publicInfo')).toBeNull();
    expect(rules.requirement('Mutation', 'login')).toBeNull();
  });

  it('applies a type’s @auth to each of its fields and to __typename on it', () => {
    expect(rules.requirement('Secret', 'id')).toBe('ADMIN');
    expect(rules.requirement('Secret', 'code')).toBe('ADMIN');
    expect(rules.requirement('Secret', '__typename')).toBe('ADMIN');
    expect(rules.requirement('Item', '__typename')).toBeNull();
  });

  it('gives a field selected through an interface or union the strictest rule of the implementations', () => {
    expect(rules.requirement('Node', 'id')).toBe('ADMIN');
    expect(rules.requirement('Node', '__typename')).toBe('ADMIN');
    expect(rules.requirement('Anything', '__typename')).toBe('ADMIN');
  });

  it('follows a renamed import of the directive', () => {
    // The rules are read from the SDL alone (no validation): the import list may hold objects.
    const renamed = FIXTURE_SDL.replace(/@auth\b/g, '@guard').replace(
      'import: ["@guard"]',
      'import: [{ name: "@auth", as: "@guard" }]',
    );
    expect(accessRulesFromSupergraph(renamed).requirement('Mutation', 'createItem')).toBe(
      'MANAGER',
    );
  });

  it('refuses a supergraph that links no auth spec, or names an unknown role', () => {
    expect(() =>
      accessRulesFromSupergraph(
        FIXTURE_SDL.replace('https://psa.example/auth/v1.0', 'https://x.test/y'),
      ),
    ).toThrow(/links no https:\/\/psa\.example\/auth\//);
    expect(() =>
      accessRulesFromSupergraph(FIXTURE_SDL.replace('requires: MEMBER', 'requires: OWNER')),
    ).toThrow(/Item\.price: requires must be one of/);
  });

  it('reads the checked-in supergraph', () => {
    const real = accessRulesFromSupergraph(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    expect(real.requirement('Mutation', 'createProject')).toBe('MANAGER');
    expect(real.requirement('Query', 'me')).toBe('CLIENT');
    expect(real.requirement('Mutation', 'login')).toBeNull();
    expect(real.requirement('Mutation', 'signUp')).toBeNull();
  });

  it('ranks requirements ADMIN ⊇ MANAGER ⊇ MEMBER ⊇ CLIENT', () => {
    expect(strictest('MEMBER', 'MANAGER')).toBe('MANAGER');
    expect(strictest('ADMIN', 'CLIENT')).toBe('ADMIN');
    expect(strictest(null, 'MEMBER')).toBe('MEMBER');
    expect(strictest(null, null)).toBeNull();
  });
});
