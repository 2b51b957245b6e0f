import type { BoardTask, UserRef } from '../api/operations';

const alice: UserRef = { id: 'alice', username: 'alice', displayName: null };

/** A board card for component tests: `Task <id>`, medium priority, no due date. */
export const boardTask = (
  id: string,
  status: BoardTask['status'],
  assignee: UserRef | null = alice,
): BoardTask => ({
  id,
  title: `Task ${id}`,
  description: null,
  status,
  priority: 'MEDIUM',
  overdue: false,
  dueDate: null,
  assignee,
});
