import { describe, expect, it } from 'vitest';
import type { TaskActor } from './workflow';
import {
  allowedMoves,
  canChangeTask,
  isAllowedMove,
  judgeDrop,
  moveLabel,
  TASK_STATUSES,
} from './workflow';

const admin: TaskActor = { role: 'ADMIN', isProjectManager: false, isAssignee: false };
const manager: TaskActor = { role: 'MANAGER', isProjectManager: true, isAssignee: false };
const assignee: TaskActor = { role: 'MEMBER', isProjectManager: false, isAssignee: true };
const otherMember: TaskActor = { role: 'MEMBER', isProjectManager: false, isAssignee: false };
const otherManager: TaskActor = { role: 'MANAGER', isProjectManager: false, isAssignee: false };
const client: TaskActor = { role: 'CLIENT', isProjectManager: false, isAssignee: true };

describe('workflow', () => {
  it('lets the assignee move forward and block, but not reopen', () => {
    expect(allowedMoves('TODO', assignee)).toEqual(['IN_PROGRESS', 'BLOCKED']);
    expect(allowedMoves('IN_PROGRESS', assignee)).toEqual(['DONE', 'BLOCKED']);
    expect(allowedMoves('BLOCKED', assignee)).toEqual(['TODO', 'IN_PROGRESS']);
    expect(allowedMoves('DONE', assignee)).toEqual([]);
  });

  it('lets the project manager and admins reopen a DONE task', () => {
    expect(allowedMoves('DONE', manager)).toEqual(['TODO']);
    expect(allowedMoves('DONE', admin)).toEqual(['TODO']);
  });

  it('offers nothing to those who may not change the task', () => {
    for (const status of TASK_STATUSES) {
      expect(allowedMoves(status, otherMember)).toEqual([]);
      expect(allowedMoves(status, otherManager)).toEqual([]);
      expect(allowedMoves(status, client)).toEqual([]);
    }
    expect(canChangeTask(client)).toBe(false);
  });

  it('never allows skipping steps or staying put', () => {
    expect(isAllowedMove('TODO', 'DONE', admin)).toBe(false);
    expect(isAllowedMove('DONE', 'IN_PROGRESS', admin)).toBe(false);
    expect(isAllowedMove('DONE', 'BLOCKED', manager)).toBe(false);
    for (const status of TASK_STATUSES) expect(isAllowedMove(status, status, admin)).toBe(false);
  });

  it('names each move', () => {
    expect(moveLabel('TODO', 'IN_PROGRESS')).toBe('Start');
    expect(moveLabel('IN_PROGRESS', 'DONE')).toBe('Complete');
    expect(moveLabel('TODO', 'BLOCKED')).toBe('Block');
    expect(moveLabel('DONE', 'TODO')).toBe('Reopen');
    expect(moveLabel('BLOCKED', 'IN_PROGRESS')).toBe('Unblock to In progress');
  });
});

describe('judgeDrop', () => {
  const assignee = { role: 'MEMBER', isProjectManager: false, isAssignee: true } as const;
  const manager = { role: 'MANAGER', isProjectManager: true, isAssignee: false } as const;
  const other = { role: 'MEMBER', isProjectManager: false, isAssignee: false } as const;
  const client = { role: 'CLIENT', isProjectManager: false, isAssignee: true } as const;

  it('allows exactly the moves the buttons offer', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        for (const actor of [assignee, manager, other, client]) {
          const verdict = judgeDrop(from, to, actor).kind;
          if (from === to) expect(verdict).toBe('same');
          else expect(verdict === 'allowed').toBe(allowedMoves(from, actor).includes(to));
        }
      }
    }
  });

  it('says why a drop is refused', () => {
    expect(judgeDrop('TODO', 'DONE', assignee)).toEqual({
      kind: 'refused',
      code: 'BAD_USER_INPUT',
      reason:
        'the workflow does not go from To do to Done; from To do it can go to In progress or Blocked',
    });
    expect(judgeDrop('DONE', 'TODO', assignee)).toEqual({
      kind: 'refused',
      code: 'FORBIDDEN',
      reason: 'only the project’s manager or an admin can reopen a done task',
    });
    expect(judgeDrop('TODO', 'IN_PROGRESS', other)).toEqual({
      kind: 'refused',
      code: 'FORBIDDEN',
      reason: 'only the project’s manager, an admin or the task’s assignee can move it',
    });
    expect(judgeDrop('TODO', 'IN_PROGRESS', client)).toEqual({
      kind: 'refused',
      code: 'FORBIDDEN',
      reason: 'clients can read tasks but not move them',
    });
  });
});
