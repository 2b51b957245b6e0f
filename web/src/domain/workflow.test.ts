import { describe, expect, it } from 'vitest';
import type { TaskActor } from './workflow';
import { allowedMoves, canChangeTask, isAllowedMove, moveLabel, TASK_STATUSES } from './workflow';

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
