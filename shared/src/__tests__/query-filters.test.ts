import { DomainError, ErrorCode, SEARCH_MAX, textSearch } from '../index';

describe('textSearch', () => {
  it('is the trimmed search, or null when there is none or it is blank', () => {
    expect(textSearch('  design review ')).toBe('design review');
    expect(textSearch('"a phrase" -not')).toBe('"a phrase" -not');
    expect(textSearch('   ')).toBeNull();
    expect(textSearch('')).toBeNull();
    expect(textSearch(null)).toBeNull();
    expect(textSearch(undefined)).toBeNull();
  });

  it(`counts characters, not UTF-16 units, up to ${SEARCH_MAX}`, () => {
    expect(textSearch('😀'.repeat(SEARCH_MAX))).toBe('😀'.repeat(SEARCH_MAX));
    let refused: unknown;
    try {
      textSearch('x'.repeat(SEARCH_MAX + 1));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      details: { field: 'filter.search' },
    });
  });
});
