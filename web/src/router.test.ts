import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router';

describe('router', () => {
  it('parses hashes', () => {
    expect(parseRoute('')).toEqual({ name: 'work' });
    expect(parseRoute('#/projects')).toEqual({ name: 'projects' });
    expect(parseRoute('#/explorer')).toEqual({ name: 'explorer' });
    expect(parseRoute('#/projects/abc123/')).toEqual({ name: 'project', id: 'abc123' });
    expect(parseRoute('#/nope/x/y')).toEqual({ name: 'notFound', path: '/nope/x/y' });
  });
  it('round-trips through href', () => {
    for (const hash of ['#/work', '#/login', '#/projects/a%20b', '#/admin', '#/explorer']) {
      expect(href(parseRoute(hash))).toBe(hash);
    }
  });
});
