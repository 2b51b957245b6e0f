/**
 * The events a webhook may subscribe to, exactly as the API names them. The one list: the
 * notifications service checks subscriptions against it and the web console offers it (it imports
 * this file by path, so the file must stay free of imports and of Node).
 */
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
