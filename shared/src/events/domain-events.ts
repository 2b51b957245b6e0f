import { hostname } from 'node:os';
import { z } from 'zod';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger';
import { createRedisClient } from '../redis/redis-client';
import {
  DEFAULT_RETRY_POLICY,
  type DomainEvent,
  type EventBus,
  type RetryPolicy,
} from './event-bus';
import { InProcessEventBus } from './in-process-event-bus';
import { RedisEventBus } from './redis-event-bus';

/**
 * The domain events services exchange: one stream per publishing service, one consumer group per
 * consuming service. Payloads are validated on receipt: a malformed one is logged and skipped.
 */
export const STREAMS = {
  projects: 'projects',
  tasks: 'tasks',
  users: 'users',
  time: 'time',
  documents: 'documents',
} as const;

/** Consumer groups: the services, each processing every event of a stream once. */
export const GROUPS = {
  users: 'users',
  projects: 'projects',
  tasks: 'tasks',
  documents: 'documents',
  time: 'time',
  notifications: 'notifications',
} as const;

const objectIdHex = z.string().regex(/^[0-9a-f]{24}$/);

/**
 * `project.access-changed` (stream `projects`): who may see a project now. Published after every
 * change to its manager or members and when it is deleted (`deleted: true`, final). `version`
 * grows with every change, so a consumer keeps the newest snapshot whatever the delivery order.
 */
export const projectAccessChanged = {
  type: 'project.access-changed',
  stream: STREAMS.projects,
  schema: z.object({
    projectId: objectIdHex,
    managerId: objectIdHex.nullable(),
    memberIds: z.array(objectIdHex),
    version: z.number().int().nonnegative(),
    deleted: z.boolean(),
  }),
} as const;
export type ProjectAccessSnapshot = z.infer<typeof projectAccessChanged.schema>;

/**
 * `project.all-tasks-done` (stream `tasks`): the last open task of a project became DONE.
 * `completion` numbers the completions of one project, so each is announced once.
 */
export const allTasksDone = {
  type: 'project.all-tasks-done',
  stream: STREAMS.tasks,
  schema: z.object({
    projectId: objectIdHex,
    total: z.number().int().positive(),
    completion: z.number().int().positive(),
    /** The user whose change completed the project. */
    actorId: objectIdHex,
  }),
} as const;
export type AllTasksDone = z.infer<typeof allTasksDone.schema>;

/**
 * `budget.threshold` (stream `time`): a project's logged time crossed 80% or 100% of its budget.
 * `crossing` numbers the crossings of one threshold of one project (a raised budget re-arms it),
 * so each is announced once however often it is delivered.
 */
export const budgetThreshold = {
  type: 'budget.threshold',
  stream: STREAMS.time,
  schema: z.object({
    projectId: objectIdHex,
    threshold: z.union([z.literal(80), z.literal(100)]),
    /** How much of the budget is used now, a percentage rounded to one decimal. */
    percentUsed: z.number().nonnegative(),
    crossing: z.number().int().positive(),
    /** The user whose change crossed the threshold. */
    actorId: objectIdHex,
  }),
} as const;
export type BudgetThreshold = z.infer<typeof budgetThreshold.schema>;

/**
 * `project.time-approved` (stream `time`): a timesheet of the project was approved, so the
 * project holds billing records and may not be deleted (ADR 0011). Approval is final: no event
 * ever takes this back.
 */
export const projectTimeApproved = {
  type: 'project.time-approved',
  stream: STREAMS.time,
  schema: z.object({ projectId: objectIdHex }),
} as const;
export type ProjectTimeApproved = z.infer<typeof projectTimeApproved.schema>;

/** `user.deleted` (stream `users`): an account is gone. */
export const userDeleted = {
  type: 'user.deleted',
  stream: STREAMS.users,
  schema: z.object({ userId: objectIdHex }),
} as const;
export type UserDeleted = z.infer<typeof userDeleted.schema>;

/**
 * `task.changed` (stream `tasks`): a task as it is after a change (`change` says which), or its
 * last state when deleted. `version` is its `updatedAt` in ms, so a consumer keeps the newest
 * state whatever the delivery order; `previousAssigneeId` tells an assignment from an update.
 */
export const taskChanged = {
  type: 'task.changed',
  stream: STREAMS.tasks,
  schema: z.object({
    taskId: objectIdHex,
    projectId: objectIdHex,
    title: z.string(),
    status: z.enum(['TODO', 'IN_PROGRESS', 'BLOCKED', 'DONE']),
    assigneeId: objectIdHex.nullable(),
    previousAssigneeId: objectIdHex.nullable(),
    /** ISO-8601, or null when the task has no due date. */
    dueDate: z.string().datetime().nullable(),
    change: z.enum(['created', 'updated', 'assigned', 'status_changed', 'deleted']),
    version: z.number().int().nonnegative(),
    /** The user whose change this is. */
    actorId: objectIdHex,
  }),
} as const;
export type TaskChanged = z.infer<typeof taskChanged.schema>;

/** `project.member-added` (stream `projects`): `userId` joined the project (after its access event). */
export const memberAdded = {
  type: 'project.member-added',
  stream: STREAMS.projects,
  schema: z.object({
    projectId: objectIdHex,
    projectName: z.string(),
    userId: objectIdHex,
    actorId: objectIdHex,
  }),
} as const;
export type MemberAdded = z.infer<typeof memberAdded.schema>;

/**
 * `project.member-removed` (stream `projects`): `userId` left the project (after its access event).
 * `actorId` is null when no one removed them: their account was deleted.
 */
export const memberRemoved = {
  type: 'project.member-removed',
  stream: STREAMS.projects,
  schema: z.object({
    projectId: objectIdHex,
    projectName: z.string(),
    userId: objectIdHex,
    actorId: objectIdHex.nullable(),
  }),
} as const;
export type MemberRemoved = z.infer<typeof memberRemoved.schema>;

const projectFacts = {
  projectId: objectIdHex,
  name: z.string(),
  status: z.enum(['PLANNED', 'ACTIVE', 'ON_HOLD', 'COMPLETED', 'CANCELLED']),
  managerId: objectIdHex,
  actorId: objectIdHex,
};

/** `project.created` (stream `projects`): a project was made (after its access event). */
export const projectCreated = {
  type: 'project.created',
  stream: STREAMS.projects,
  schema: z.object(projectFacts),
} as const;
export type ProjectCreated = z.infer<typeof projectCreated.schema>;

/**
 * `project.updated` (stream `projects`): a project's name, description, status or manager changed
 * (`changed` names which); as it is after the change.
 */
export const projectUpdated = {
  type: 'project.updated',
  stream: STREAMS.projects,
  schema: z.object({
    ...projectFacts,
    changed: z.array(z.enum(['name', 'description', 'status', 'managerId'])).min(1),
  }),
} as const;
export type ProjectUpdated = z.infer<typeof projectUpdated.schema>;

/** `status-update.posted` (stream `projects`): a status update was posted, by hand or automatically. */
export const statusUpdatePosted = {
  type: 'status-update.posted',
  stream: STREAMS.projects,
  schema: z.object({
    statusUpdateId: objectIdHex,
    projectId: objectIdHex,
    projectName: z.string(),
    message: z.string(),
    automatic: z.boolean(),
    /** The author (for an automatic update, the user whose action triggered it). */
    actorId: objectIdHex,
  }),
} as const;
export type StatusUpdatePosted = z.infer<typeof statusUpdatePosted.schema>;

const timesheetDecision = z.object({
  timesheetId: objectIdHex,
  projectId: objectIdHex,
  /** Whose week it is. */
  userId: objectIdHex,
  /** The Monday of the week, YYYY-MM-DD. */
  weekStart: z.string(),
  /** Empty but for a rejection. */
  reason: z.string(),
  actorId: objectIdHex,
});

/** `timesheet.submitted` (stream `time`): a week was submitted for approval. */
export const timesheetSubmitted = {
  type: 'timesheet.submitted',
  stream: STREAMS.time,
  schema: timesheetDecision,
} as const;
/** `timesheet.approved` (stream `time`). */
export const timesheetApproved = {
  type: 'timesheet.approved',
  stream: STREAMS.time,
  schema: timesheetDecision,
} as const;
/** `timesheet.rejected` (stream `time`), with the reason. */
export const timesheetRejected = {
  type: 'timesheet.rejected',
  stream: STREAMS.time,
  schema: timesheetDecision,
} as const;
export type TimesheetEvent = z.infer<typeof timesheetDecision>;

/** `document.shared` (stream `documents`): a document was shared with `userId`. */
export const documentShared = {
  type: 'document.shared',
  stream: STREAMS.documents,
  schema: z.object({
    documentId: objectIdHex,
    /** The document's project, when it belongs to one. */
    projectId: objectIdHex.nullable(),
    title: z.string(),
    userId: objectIdHex,
    actorId: objectIdHex,
  }),
} as const;
export type DocumentShared = z.infer<typeof documentShared.schema>;

/** `document.unshared` (stream `documents`): a share with `userId` was taken back. */
export const documentUnshared = {
  type: 'document.unshared',
  stream: STREAMS.documents,
  schema: z.object({
    documentId: objectIdHex,
    /** The document's project, when it belongs to one. */
    projectId: objectIdHex.nullable(),
    userId: objectIdHex,
    actorId: objectIdHex,
  }),
} as const;
export type DocumentUnshared = z.infer<typeof documentUnshared.schema>;

const documentFacts = {
  documentId: objectIdHex,
  /** The document's project, when it belongs to one. */
  projectId: objectIdHex.nullable(),
  title: z.string(),
  ownerId: objectIdHex,
  /** Whether its file was uploaded (else it links to a file elsewhere). */
  uploaded: z.boolean(),
  actorId: objectIdHex,
};

/**
 * `document.created` (stream `documents`): a document is there for the people who may read it: a
 * linked one when it is made, an uploaded one when its first upload completes (never while pending).
 */
export const documentCreated = {
  type: 'document.created',
  stream: STREAMS.documents,
  schema: z.object(documentFacts),
} as const;
export type DocumentCreated = z.infer<typeof documentCreated.schema>;

/**
 * `document.deleted` (stream `documents`): a document that was created (not a pending first upload)
 * was deleted. The documents a project's deletion takes with it have no event of their own.
 */
export const documentDeleted = {
  type: 'document.deleted',
  stream: STREAMS.documents,
  schema: z.object(documentFacts),
} as const;
export type DocumentDeleted = z.infer<typeof documentDeleted.schema>;

interface EventKind<T> {
  type: string;
  schema: z.ZodType<T>;
}

/** The payload of `event` when it is of `kind` and well-formed; null otherwise (logged when malformed). */
export function payloadOf<T>(kind: EventKind<T>, event: DomainEvent, logger: Logger): T | null {
  if (event.type !== kind.type) return null;
  const parsed = kind.schema.safeParse(event.data);
  if (parsed.success) return parsed.data;
  logger.error({ type: event.type, eventId: event.id }, 'skipping a malformed event');
  return null;
}

/** An event kind of this file, with its literal `type`. */
export interface KnownKind {
  type: string;
  stream: string;
  schema: z.ZodTypeAny;
}

/** What {@link parseEvent} answers for `kinds`: one of their types with its parsed payload. */
export type ParsedEvent<Kinds extends readonly KnownKind[]> = {
  [I in keyof Kinds]: Kinds[I] extends KnownKind
    ? { type: Kinds[I]['type']; data: z.infer<Kinds[I]['schema']> }
    : never;
}[number];

/**
 * `event` parsed as the one of `kinds` it is (a consumer of several kinds parses each event once
 * and switches on `type`); null for another kind or a malformed payload (logged).
 */
export function parseEvent<const Kinds extends readonly KnownKind[]>(
  kinds: Kinds,
  event: DomainEvent,
  logger: Logger,
): ParsedEvent<Kinds> | null {
  const kind = kinds.find((candidate) => candidate.type === event.type);
  if (!kind) return null;
  const data: unknown = payloadOf(kind, event, logger);
  return data === null ? null : ({ type: kind.type, data } as ParsedEvent<Kinds>);
}

export interface EventBusConfig {
  REDIS_URL?: string;
  EVENT_STREAM_PREFIX: string;
  /** {@link RetryPolicy.maxAttempts}; default {@link DEFAULT_RETRY_POLICY}'s. */
  EVENT_MAX_ATTEMPTS?: number;
  /** {@link RetryPolicy.delayMs}; default {@link DEFAULT_RETRY_POLICY}'s. */
  EVENT_RETRY_DELAY_MS?: number;
  /** {@link RetryPolicy.maxDelayMs}; default {@link DEFAULT_RETRY_POLICY}'s. */
  EVENT_RETRY_MAX_DELAY_MS?: number;
}

/** The retry policy `config` sets. */
export const retryPolicyOf = (
  config: Omit<EventBusConfig, 'EVENT_STREAM_PREFIX'>,
): RetryPolicy => ({
  maxAttempts: config.EVENT_MAX_ATTEMPTS ?? DEFAULT_RETRY_POLICY.maxAttempts,
  delayMs: config.EVENT_RETRY_DELAY_MS ?? DEFAULT_RETRY_POLICY.delayMs,
  maxDelayMs: config.EVENT_RETRY_MAX_DELAY_MS ?? DEFAULT_RETRY_POLICY.maxDelayMs,
});

/**
 * The event bus a service uses: `given` when there is one (the single-process dev stack shares an
 * in-process one among its services), else Redis Streams when `REDIS_URL` is set, else a bus of
 * its own in process.
 */
export function createEventBus(
  config: EventBusConfig,
  logger: Logger,
  name: string,
  given?: EventBus,
): EventBus {
  if (given) return given;
  const retry = retryPolicyOf(config);
  if (!config.REDIS_URL) return new InProcessEventBus({ logger, retry });
  const url = config.REDIS_URL;
  // Commands wait for the connection while it is being made (a service's first publish, a
  // consumer's first read) and fail once a reconnection attempt failed too.
  const client = (role: string): Redis => {
    const redis = createRedisClient(url, logger, `${name}-${role}`);
    redis.options.enableOfflineQueue = true;
    return redis;
  };
  // A consumer's blocking reads hold their connection: each consumer gets one.
  return new RedisEventBus(client('events'), () => client('events-reader'), {
    logger,
    prefix: config.EVENT_STREAM_PREFIX,
    retry,
  });
}

/** This process's name within a consumer group. */
export const consumerName = (): string => `${hostname()}-${process.pid}`;
