import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router';

describe('router', () => {
  it('parses hashes', () => {
    expect(parseRoute('')).toEqual({ name: 'work' });
    expect(parseRoute('#/projects')).toEqual({ name: 'projects' });
    expect(parseRoute('#/explorer')).toEqual({ name: 'explorer' });
    expect(parseRoute('#/notifications')).toEqual({ name: 'notifications' });
    expect(parseRoute('#/projects/abc123/')).toEqual({ name: 'project', id: 'abc123' });
    expect(parseRoute('#/time')).toEqual({ name: 'time' });
    expect(parseRoute('#/time/p1')).toEqual({ name: 'time', projectId: 'p1' });
    expect(parseRoute('#/time/p1/2026-11-30')).toEqual({
      name: 'time',
      projectId: 'p1',
      week: '2026-11-30',
    });
    expect(parseRoute('#/nope/x/y')).toEqual({ name: 'notFound', path: '/nope/x/y' });
  });
  it('round-trips through href', () => {
    for (const hash of [
      '#/work',
      '#/login',
      '#/projects/a%20b',
      '#/admin',
      '#/explorer',
      '#/notifications',
      '#/time',
      '#/time/p1/2026-11-30',
    ]) {
      expect(href(parseRoute(hash))).toBe(hash);
    }
  });
});
