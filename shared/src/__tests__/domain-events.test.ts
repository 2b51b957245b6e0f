import {
  memberAdded,
  parseEvent,
  projectCreated,
  silentLogger,
  userDeleted,
  type DomainEvent,
} from '../index';
import { randomId } from '../testing';

const event = (type: string, data: Record<string, unknown>): DomainEvent => ({
  id: randomId(),
  type,
  data,
  occurredAt: new Date().toISOString(),
});

describe('parseEvent', () => {
  const kinds = [memberAdded, userDeleted] as const;

  it('answers the kind an event is with its parsed payload', () => {
    const userId = randomId();
    const parsed = parseEvent(kinds, event(userDeleted.type, { userId }), silentLogger());
    expect(parsed).toEqual({ type: 'user.deleted', data: { userId } });
  });

  it('answers null for an event of another kind, and for a malformed one (logged)', () => {
    const logger = silentLogger();
    const error = jest.spyOn(logger, 'error');
    const other = event(projectCreated.type, { projectId: randomId() });
    expect(parseEvent(kinds, other, logger)).toBeNull();
    expect(error).not.toHaveBeenCalled();
    const malformed = event(memberAdded.type, { projectId: 'nope' });
    expect(parseEvent(kinds, malformed, logger)).toBeNull();
    expect(error).toHaveBeenCalledWith(
      { type: memberAdded.type, eventId: malformed.id },
      'skipping a malformed event',
    );
  });
});
