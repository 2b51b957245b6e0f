import {
  budgetThreshold,
  documentCreated,
  documentDeleted,
  documentShared,
  memberAdded,
  memberRemoved,
  projectCreated,
  projectUpdated,
  payloadOf,
  projectAccessChanged,
  statusUpdatePosted,
  STREAMS,
  taskChanged,
  timesheetApproved,
  timesheetRejected,
  timesheetSubmitted,
  type DomainEvent,
  type EventHandler,
  type Logger,
} from '@psa/shared';

/** The events a webhook may subscribe to, exactly as the API names them. */
export const WEBHOOK_EVENTS = [
  'project.created',
  'project.updated',
  'project.deleted',
  'project.member_added',
  'project.member_removed',
  'status_update.posted',
  'task.created',
  'task.updated',
  'task.status_changed',
  'task.deleted',
  'document.created',
  'document.shared',
  'document.deleted',
  'timesheet.submitted',
  'timesheet.approved',
  'timesheet.rejected',
  'budget.threshold',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const isWebhookEvent = (name: string): name is WebhookEvent =>
  (WEBHOOK_EVENTS as readonly string[]).includes(name);

/** A domain event as webhooks send it: its name, and `data` (the event's payload). */
export interface Outgoing {
  event: WebhookEvent;
  data: Record<string, unknown>;
}

const TASK_CHANGES = {
  created: 'task.created',
  updated: 'task.updated',
  assigned: 'task.updated',
  status_changed: 'task.status_changed',
  deleted: 'task.deleted',
} as const;

/**
 * The webhook event a domain event is, or null for one webhooks do not send (a project's access
 * snapshot other than its deletion, which says who may read, not what happened).
 */
export function webhookEventOf(event: DomainEvent, logger: Logger): Outgoing | null {
  const task = payloadOf(taskChanged, event, logger);
  if (task) return { event: TASK_CHANGES[task.change], data: task };
  const created = payloadOf(projectCreated, event, logger);
  if (created) return { event: 'project.created', data: created };
  const updated = payloadOf(projectUpdated, event, logger);
  if (updated) return { event: 'project.updated', data: updated };
  const added = payloadOf(memberAdded, event, logger);
  if (added) return { event: 'project.member_added', data: added };
  const removed = payloadOf(memberRemoved, event, logger);
  if (removed) return { event: 'project.member_removed', data: removed };
  const posted = payloadOf(statusUpdatePosted, event, logger);
  if (posted) return { event: 'status_update.posted', data: posted };
  const access = payloadOf(projectAccessChanged, event, logger);
  if (access?.deleted) return { event: 'project.deleted', data: { projectId: access.projectId } };
  const document = payloadOf(documentCreated, event, logger);
  if (document) return { event: 'document.created', data: document };
  const shared = payloadOf(documentShared, event, logger);
  if (shared) return { event: 'document.shared', data: shared };
  const deleted = payloadOf(documentDeleted, event, logger);
  if (deleted) return { event: 'document.deleted', data: deleted };
  for (const [kind, name] of [
    [timesheetSubmitted, 'timesheet.submitted'],
    [timesheetApproved, 'timesheet.approved'],
    [timesheetRejected, 'timesheet.rejected'],
  ] as const) {
    const timesheet = payloadOf(kind, event, logger);
    if (timesheet) return { event: name, data: timesheet };
  }
  const budget = payloadOf(budgetThreshold, event, logger);
  if (budget) return { event: 'budget.threshold', data: budget };
  return null;
}

/** The streams webhooks listen to, each handing what it hears to `deliver`. */
export function webhookEventHandlers(
  deliver: (eventId: string, outgoing: Outgoing, occurredAt: Date) => Promise<void>,
  logger: Logger,
): Record<string, EventHandler> {
  const handler: EventHandler = async (event) => {
    const outgoing = webhookEventOf(event, logger);
    if (outgoing) await deliver(event.id, outgoing, new Date(event.occurredAt));
  };
  return Object.fromEntries(
    [STREAMS.projects, STREAMS.tasks, STREAMS.documents, STREAMS.time].map((s) => [s, handler]),
  );
}

/**
 * Both handler maps on the same streams: each stream's handler runs `first`, then `second`
 * (a failure of either makes the bus redeliver; both are idempotent).
 */
export function bothHandlers(
  first: Record<string, EventHandler>,
  second: Record<string, EventHandler>,
): Record<string, EventHandler> {
  const streams = new Set([...Object.keys(first), ...Object.keys(second)]);
  return Object.fromEntries(
    [...streams].map((stream) => {
      const a = first[stream];
      const b = second[stream];
      const combined: EventHandler = async (event) => {
        await a?.(event);
        await b?.(event);
      };
      return [stream, combined];
    }),
  );
}
