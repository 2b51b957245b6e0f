import path from 'node:path';
import {
  announceRelay,
  ANNOUNCE_TOPIC,
  allTasksDone,
  budgetThreshold,
  projectTimeApproved,
  createByIdLoader,
  createEventBus,
  createPubSub,
  Outbox,
  outboxModel,
  payloadOf,
  STREAMS,
  userDeleted,
  createVerifierKeySet,
  startSubgraphService,
  type EventBus,
  type OutboxRelay,
  type Logger,
  type PubSub,
  type SubgraphService,
} from '@psa/shared';
import type { ProjectsConfig } from './config';
import type { ProjectsContext } from './context';
import { projectModel } from './models/project.model';
import { statusUpdateModel } from './models/status-update.model';
import { ACCESS_TOPIC, ProjectsDomain } from './projects-domain';
import { projectResolvers } from './resolvers/project.resolver';
import { StatusUpdatePublisher } from './status-update-publisher';

export { loadProjectsConfig, type ProjectsConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/** What the projects service can be given instead of building it from configuration. */
export interface ProjectsServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
  /**
   * Realtime notifications to the gateway's subscribers. Default: Redis at REDIS_URL when set,
   * else this process's own. The service closes only one it made itself.
   */
  pubsub?: PubSub;
}

/**
 * Starts the projects subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens.
 */
export function startProjectsService(
  config: ProjectsConfig,
  logger: Logger,
  deps: ProjectsServiceDeps = {},
): Promise<SubgraphService> {
  const events = createEventBus(config, logger, 'projects', deps.events);
  const pubsub = createPubSub(config, logger, 'projects', deps.pubsub);
  return startSubgraphService<ProjectsContext>({
    name: 'projects',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: projectResolvers,
    config,
    port: config.PROJECTS_PORT,
    dbName: config.PROJECTS_DB,
    keySet: createVerifierKeySet(config, logger),
    events,
    logger,
    setup: (connection, metrics) => {
      const projects = projectModel(connection);
      const statusUpdates = statusUpdateModel(connection);
      const outboxEntries = outboxModel(connection);
      // The domain and the outbox need each other: the relay reads the project's current state.
      const relays: Record<string, OutboxRelay> = {
        [ACCESS_TOPIC]: (data) => domain.announceAccess(data),
        [ANNOUNCE_TOPIC]: announceRelay,
      };
      const outbox = new Outbox(outboxEntries, events, relays, {
        logger,
        ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS,
        published: metrics.eventsPublished,
      });
      const realtime = new StatusUpdatePublisher(pubsub, config.EVENT_STREAM_PREFIX, logger);
      const domain: ProjectsDomain = new ProjectsDomain(projects, statusUpdates, outbox, realtime);
      return {
        models: [projects, statusUpdates, outboxEntries],
        initialize: () => domain.announceUnversioned(),
        outbox,
        // Without Redis the pub/sub is in-process and always ready: nothing to report.
        readiness: (): Record<string, boolean> =>
          config.REDIS_URL ? { realtime: pubsub.isReady() } : {},
        // Realtime pauses while Redis is down; reads and writes go on.
        degradedWithout: ['realtime'],
        dispose: async () => {
          // A given pub/sub is shared (the dev stack's): its owner closes it.
          if (pubsub !== deps.pubsub) await pubsub.close();
        },
        consumers: {
          [STREAMS.tasks]: async (event) => {
            const completion = payloadOf(allTasksDone, event, logger);
            if (completion) await domain.postCompletion(completion);
          },
          [STREAMS.time]: async (event) => {
            const crossing = payloadOf(budgetThreshold, event, logger);
            if (crossing) await domain.postBudgetThreshold(crossing);
            const approved = payloadOf(projectTimeApproved, event, logger);
            if (approved) await domain.markApprovedTime(approved.projectId);
          },
          [STREAMS.users]: async (event) => {
            const deleted = payloadOf(userDeleted, event, logger);
            if (deleted) await domain.removeDeletedUser(deleted.userId);
          },
        },
        context: (base) => ({
          ...base,
          loaders: {
            project: createByIdLoader(projects),
            statusUpdate: createByIdLoader(statusUpdates),
          },
          domain,
        }),
      };
    },
  });
}
