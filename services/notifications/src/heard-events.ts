import {
  budgetThreshold,
  documentCreated,
  documentDeleted,
  documentShared,
  documentUnshared,
  memberAdded,
  memberRemoved,
  parseEvent,
  projectAccessChanged,
  projectCreated,
  projectUpdated,
  statusUpdatePosted,
  taskChanged,
  timesheetApproved,
  timesheetRejected,
  timesheetSubmitted,
  userDeleted,
  type DomainEvent,
  type EventHandler,
  type Logger,
  type ParsedEvent,
} from '@psa/shared';

/** The domain events this service acts on (for notifications, webhooks or both). */
const HEARD = [
  projectAccessChanged,
  projectCreated,
  projectUpdated,
  memberAdded,
  memberRemoved,
  statusUpdatePosted,
  taskChanged,
  documentCreated,
  documentShared,
  documentUnshared,
  documentDeleted,
  timesheetSubmitted,
  timesheetApproved,
  timesheetRejected,
  budgetThreshold,
  userDeleted,
] as const;

/** A domain event this service acts on, parsed: switch on `type` for its `data`. */
export type Heard = ParsedEvent<typeof HEARD>;

/** Acts on a parsed event; `event` gives its id (to key what it makes by) and its time. */
export type HeardListener = (heard: Heard, event: DomainEvent) => Promise<void>;

/**
 * The service's consumers, one per stream it hears: each event is parsed once (a malformed one is
 * logged and skipped) and handed to every listener in turn. A listener that throws leaves the
 * event to be delivered again, so listeners are idempotent.
 */
export function heardEventHandlers(
  logger: Logger,
  listeners: readonly HeardListener[],
): Record<string, EventHandler> {
  const handler: EventHandler = async (event) => {
    const heard = parseEvent(HEARD, event, logger);
    if (!heard) return;
    for (const listener of listeners) await listener(heard, event);
  };
  return Object.fromEntries(
    [...new Set(HEARD.map((kind) => kind.stream))].map((s) => [s, handler]),
  );
}
