import { escapeRegex } from '../index';

describe('escapeRegex', () => {
  it('matches its text literally, regular-expression characters and NUL included', () => {
    for (const text of ['.*', '(a+)+$', '$where', '[a-z]\\d{2}|^x', 'nul\u0000byte']) {
      const pattern = escapeRegex(text);
      expect(new RegExp(pattern).test(`before ${text} after`)).toBe(true);
      expect(new RegExp(`^${pattern}$`).test(text)).toBe(true);
    }
    expect(new RegExp(escapeRegex('.*')).test('anything')).toBe(false);
  });

  it('leaves no null byte in the pattern (BSON cannot carry one)', () => {
    expect(escapeRegex('a\u0000b')).toBe('a\\x00b');
  });
});
