/** The task workflow as the tasks service enforces it (README "Task workflow"). */

export const TASK_STATUSES = ['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const ROLES = ['ADMIN', 'MANAGER', 'MEMBER', 'CLIENT'] as const;
export type Role = (typeof ROLES)[number];

/** Where a task may move from each status; `DONE → TODO` (reopen) is for the manager or an admin. */
export const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  TODO: ['IN_PROGRESS', 'BLOCKED'],
  IN_PROGRESS: ['DONE', 'BLOCKED'],
  BLOCKED: ['TODO', 'IN_PROGRESS'],
  DONE: ['TODO'],
};

/** Who is looking at a task, relative to it. */
export interface TaskActor {
  /** The caller's global role. */
  role: Role;
  /** The caller manages the task's project. */
  isProjectManager: boolean;
  /** The caller is the task's assignee. */
  isAssignee: boolean;
}

/** May this actor change the task's status or fields at all? Admin, the manager, the assignee. */
export function canChangeTask(actor: TaskActor): boolean {
  if (actor.role === 'CLIENT') return false;
  return actor.role === 'ADMIN' || actor.isProjectManager || actor.isAssignee;
}

/** May this actor reopen a DONE task? Only the project's manager or an admin. */
export function canReopen(actor: TaskActor): boolean {
  return actor.role === 'ADMIN' || actor.isProjectManager;
}

/** The statuses `actor` may move a task in `status` to, in display order; empty when none. */
export function allowedMoves(status: TaskStatus, actor: TaskActor): TaskStatus[] {
  if (!canChangeTask(actor)) return [];
  return TRANSITIONS[status].filter(
    (to) => !(status === 'DONE' && to === 'TODO') || canReopen(actor),
  );
}

/** Is `from → to` a move the workflow allows for `actor`? */
export function isAllowedMove(from: TaskStatus, to: TaskStatus, actor: TaskActor): boolean {
  return allowedMoves(from, actor).includes(to);
}

/** A human label for a status. */
export function statusLabel(status: TaskStatus): string {
  switch (status) {
    case 'TODO':
      return 'To do';
    case 'IN_PROGRESS':
      return 'In progress';
    case 'BLOCKED':
      return 'Blocked';
    case 'DONE':
      return 'Done';
    default: {
      const unknown: never = status;
      return String(unknown);
    }
  }
}

/** The verb on the button that moves a task from `from` to `to`. */
export function moveLabel(from: TaskStatus, to: TaskStatus): string {
  if (to === 'BLOCKED') return 'Block';
  if (from === 'BLOCKED') return to === 'TODO' ? 'Unblock to To do' : 'Unblock to In progress';
  if (from === 'DONE' && to === 'TODO') return 'Reopen';
  if (to === 'IN_PROGRESS') return 'Start';
  if (to === 'DONE') return 'Complete';
  return `Move to ${statusLabel(to)}`;
}

/** Whether a task dropped on a column may move there, and if not, why (in the user's words). */
export type DropVerdict =
  | { kind: 'allowed' }
  /** Dropped where it already is: nothing to do. */
  | { kind: 'same' }
  /** `code` as the API would answer the same move (FORBIDDEN: who; BAD_USER_INPUT: where). */
  | { kind: 'refused'; code: 'FORBIDDEN' | 'BAD_USER_INPUT'; reason: string };

/**
 * Judges dropping a task in `from` on the `to` column, by the same rules as the move buttons
 * (`allowedMoves`), so that a drag can do exactly what a button can and explains what it cannot.
 */
export function judgeDrop(from: TaskStatus, to: TaskStatus, actor: TaskActor): DropVerdict {
  if (from === to) return { kind: 'same' };
  if (isAllowedMove(from, to, actor)) return { kind: 'allowed' };
  if (!canChangeTask(actor)) {
    return {
      kind: 'refused',
      code: 'FORBIDDEN',
      reason:
        actor.role === 'CLIENT'
          ? 'clients can read tasks but not move them'
          : 'only the project’s manager, an admin or the task’s assignee can move it',
    };
  }
  if (from === 'DONE' && to === 'TODO') {
    return {
      kind: 'refused',
      code: 'FORBIDDEN',
      reason: 'only the project’s manager or an admin can reopen a done task',
    };
  }
  const allowed = allowedMoves(from, actor).map(statusLabel);
  return {
    kind: 'refused',
    code: 'BAD_USER_INPUT',
    reason:
      `the workflow does not go from ${statusLabel(from)} to ${statusLabel(to)}` +
      (allowed.length > 0
        ? `; from ${statusLabel(from)} it can go to ${allowed.join(' or ')}`
        : ''),
  };
}
