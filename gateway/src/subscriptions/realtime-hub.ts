import { GraphQLError, parse, type DocumentNode, type ExecutionResult } from 'graphql';
import {
  ErrorCode,
  isInAudience,
  realtimeChannel,
  userRealtimeChannel,
  type Audience,
  type Identity,
  type Logger,
  type PubSub,
  type RealtimeKind,
} from '@psa/shared';
import type { ProjectReadersLookup } from './project-readers';
import { EVENT_ID_VARIABLE, type RealtimeOperation } from './realtime-operation';

/** Runs an operation through the gateway as the holder of `authorization`. */
export type GatewayExecutor = (
  document: DocumentNode,
  variables: Record<string, unknown>,
  authorization: string,
) => Promise<ExecutionResult>;

/** One subscription of one connection. */
export interface Subscriber {
  identity: Identity;
  /** `Bearer <token>`: the subscriber's own, for resolving their events. */
  authorization: string;
  operation: RealtimeOperation;
  /** Receives each result; `end` finishes the subscription (with a last result, if given). */
  deliver(result: ExecutionResult): void;
  end(last?: ExecutionResult): void;
}

export interface RealtimeHubOptions {
  pubsub: PubSub;
  /** Channel name prefix (EVENT_STREAM_PREFIX, shared with the subgraphs). */
  prefix: string;
  execute: GatewayExecutor;
  /** Who may read a project now: the projects subgraph's answer (its policy decides). */
  readers: ProjectReadersLookup;
  logger: Logger;
  /** Counts results sent to subscribers, by kind. */
  delivered?: { inc(labels: { kind: string }, value?: number): void };
}

const ACCESS_QUERY = parse('query PsaRealtimeAccess($id: ID!) { project(id: $id) { id } }');

interface ProjectAccessData {
  project: { id: string } | null;
}

interface Channel {
  name: string;
  /** Null for a user's channel: its one reader is that user. */
  projectId: string | null;
  subscribers: Set<Subscriber>;
  /** Events of one channel are handled one after the other, so each subscriber gets them in order. */
  queue: Promise<void>;
  unsubscribe: Promise<() => Promise<void>>;
}

const codeOf = (result: ExecutionResult): unknown => result.errors?.[0]?.extensions?.code;

/**
 * Serves the realtime subscriptions of one gateway process: one pub/sub subscription per project
 * channel with subscribers, and for each event (the id of what changed):
 * 1. who may read the project now, asked of the projects subgraph once (its policy decides; so a
 *    member removed a moment ago gets nothing more, and their subscription ends);
 * 2. the subscribers grouped by what they would see (same resolution, same variables, same role,
 *    or the same user when the selection holds per-caller data — ADR 0005), and each group's
 *    result resolved once through the federated graph with one member's own token;
 * 3. the result handed to every member of the group.
 */
export class RealtimeHub {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly options: RealtimeHubOptions) {}

  /** Adds a subscriber; resolves once its channel is subscribed. Returns its removal. */
  async add(subscriber: Subscriber): Promise<() => void> {
    const { kind, projectId } = subscriber.operation;
    const name =
      projectId === null
        ? userRealtimeChannel(this.options.prefix, subscriber.identity.userId)
        : realtimeChannel(this.options.prefix, projectId, kind);
    let channel = this.channels.get(name);
    if (!channel) {
      const created: Channel = {
        name,
        projectId,
        subscribers: new Set(),
        queue: Promise.resolve(),
        unsubscribe: Promise.resolve(async () => undefined),
      };
      created.unsubscribe = this.options.pubsub.subscribe(name, (message) =>
        this.enqueue(created, kind, message),
      );
      this.channels.set(name, created);
      channel = created;
    }
    channel.subscribers.add(subscriber);
    const subscribed = channel;
    await subscribed.unsubscribe;
    return () => this.remove(subscribed, subscriber);
  }

  /** Whether the holder of `authorization` may read the project (asked of the graph). */
  async canRead(projectId: string, authorization: string): Promise<boolean> {
    const result = await this.options.execute(ACCESS_QUERY, { id: projectId }, authorization);
    return Boolean((result.data as ProjectAccessData | null | undefined)?.project);
  }

  /** Subscribers currently served (for tests and metrics). */
  get size(): number {
    let count = 0;
    for (const channel of this.channels.values()) count += channel.subscribers.size;
    return count;
  }

  /** Ends every subscription and leaves every channel. */
  async close(): Promise<void> {
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const channel of channels) {
      for (const subscriber of channel.subscribers) subscriber.end();
      await (await channel.unsubscribe)().catch(() => undefined);
    }
  }

  private remove(channel: Channel, subscriber: Subscriber): void {
    channel.subscribers.delete(subscriber);
    if (channel.subscribers.size > 0 || this.channels.get(channel.name) !== channel) return;
    this.channels.delete(channel.name);
    void channel.unsubscribe
      .then((unsubscribe) => unsubscribe())
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error, channel: channel.name }, 'unsubscribe failed'),
      );
  }

  private enqueue(channel: Channel, kind: RealtimeKind, message: string): void {
    let eventId: unknown;
    try {
      // Status channels carry a statusUpdateId; task and user channels an eventId.
      const parsed = JSON.parse(message) as Record<string, unknown>;
      eventId = kind === 'status' ? parsed.statusUpdateId : parsed.eventId;
    } catch {
      eventId = undefined;
    }
    if (typeof eventId !== 'string') {
      this.options.logger.warn({ channel: channel.name }, 'ignoring a malformed realtime message');
      return;
    }
    const id = eventId;
    channel.queue = channel.queue
      .then(() => this.dispatch(channel, id))
      .catch((error: unknown) =>
        this.options.logger.error({ err: error, channel: channel.name }, 'realtime event failed'),
      );
  }

  private async dispatch(channel: Channel, eventId: string): Promise<void> {
    const subscribers = [...channel.subscribers];
    if (subscribers.length === 0) return;
    // A user's channel has no project to check: only that user subscribes to it, and what is
    // published there is read back as them (`notification(id)` answers its recipient only).
    const readers =
      channel.projectId === null ? null : await this.readersOf(channel.projectId, subscribers);
    const groups = new Map<string, Subscriber[]>();
    for (const subscriber of subscribers) {
      const { identity, operation } = subscriber;
      if (channel.projectId !== null && (!readers || !isInAudience(identity, readers))) {
        subscriber.end({
          errors: [
            new GraphQLError('You can no longer read this project', {
              extensions: { code: ErrorCode.FORBIDDEN },
            }),
          ],
        });
        continue;
      }
      const audience = operation.perCaller ? `user:${identity.userId}` : `role:${identity.role}`;
      const key = `${operation.key}|${audience}`;
      const group = groups.get(key);
      if (group) group.push(subscriber);
      else groups.set(key, [subscriber]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const [first] = group;
        if (!first) return;
        const result = await this.options.execute(
          first.operation.resolution,
          { ...first.operation.variables, [EVENT_ID_VARIABLE]: eventId },
          first.authorization,
        );
        // The thing that changed is gone already (e.g. deleted with its project), or is not for
        // this caller to see: nothing to tell.
        if (codeOf(result) === ErrorCode.NOT_FOUND) return;
        const data = result.data as Record<string, unknown> | null | undefined;
        if (!result.errors && data?.[first.operation.responseKey] === null) return;
        for (const subscriber of group) subscriber.deliver(result);
        this.options.delivered?.inc({ kind: first.operation.kind }, group.length);
      }),
    );
  }

  /**
   * Who may read the project, asked with the subscribers' tokens in turn until one may still read
   * it; null when none may. Rejects (the event is not delivered, and logged) when the projects
   * subgraph cannot answer: an outage ends no subscription.
   */
  private async readersOf(projectId: string, subscribers: Subscriber[]): Promise<Audience | null> {
    const tried = new Set<string>();
    for (const subscriber of subscribers) {
      if (tried.has(subscriber.identity.userId)) continue;
      tried.add(subscriber.identity.userId);
      const readers = await this.options.readers(projectId, subscriber.authorization);
      if (readers) return readers;
    }
    return null;
  }
}
