import type { WebhookEvent } from '@psa/shared';
import type { Heard, HeardListener } from './heard-events';

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
 * snapshot other than its deletion, which says who may read, not what happened; a share taken
 * back, which the contract has no event for; a deleted user).
 */
export function webhookEventOf(heard: Heard): Outgoing | null {
  switch (heard.type) {
    case 'task.changed':
      return { event: TASK_CHANGES[heard.data.change], data: heard.data };
    case 'project.created':
      return { event: 'project.created', data: heard.data };
    case 'project.updated':
      return { event: 'project.updated', data: heard.data };
    case 'project.member-added':
      return { event: 'project.member_added', data: heard.data };
    case 'project.member-removed':
      return { event: 'project.member_removed', data: heard.data };
    case 'status-update.posted':
      return { event: 'status_update.posted', data: heard.data };
    case 'project.access-changed':
      return heard.data.deleted
        ? { event: 'project.deleted', data: { projectId: heard.data.projectId } }
        : null;
    case 'document.created':
    case 'document.shared':
    case 'document.deleted':
    case 'timesheet.submitted':
    case 'timesheet.approved':
    case 'timesheet.rejected':
    case 'budget.threshold':
      return { event: heard.type, data: heard.data };
    case 'document.unshared':
    case 'user.deleted':
      return null;
  }
}

/** The listener that hands every event webhooks send to `deliver`. */
export const webhookListener =
  (
    deliver: (eventId: string, outgoing: Outgoing, occurredAt: Date) => Promise<void>,
  ): HeardListener =>
  async (heard, event) => {
    const outgoing = webhookEventOf(heard);
    if (outgoing) await deliver(event.id, outgoing, new Date(event.occurredAt));
  };
