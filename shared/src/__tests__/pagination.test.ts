import { Types } from 'mongoose';
import { BadUserInputError, decodeCursor, encodeCursor, pageSize } from '../index';

describe('cursors and page sizes', () => {
  it('round-trips a position through an opaque cursor', () => {
    const item = { _id: new Types.ObjectId(), createdAt: new Date('2026-01-02T03:04:05.678Z') };
    const decoded = decodeCursor(encodeCursor(item));
    expect(decoded.createdAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(decoded.id.equals(item._id)).toBe(true);
  });

  it.each([
    '',
    'garbage',
    Buffer.from('[1,"zz"]').toString('base64url'),
    Buffer.from('{"$gt":""}').toString('base64url'),
  ])('refuses the malformed cursor %p with BAD_USER_INPUT on `after`', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(BadUserInputError);
  });

  it('defaults first to 20 and refuses values outside 0..100', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(100)).toBe(100);
    for (const bad of [-1, 101, 2.5])
      expect(() => pageSize(bad)).toThrow(/first must be an integer from 0 to 100/);
  });
});
