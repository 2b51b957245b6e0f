import { randomBytes } from 'node:crypto';
import path from 'node:path';
import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import {
  announceRelay,
  ANNOUNCE_TOPIC,
  createByIdLoader,
  createEventBus,
  Outbox,
  outboxModel,
  createVerifierKeySet,
  payloadOf,
  projectAccessChanged,
  projectAccessModel,
  ProjectAccess,
  requireIdentity,
  startSubgraphService,
  STREAMS,
  type EventBus,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { DocumentsConfig } from './config';
import type { DocumentsContext } from './context';
import { accessLogModel } from './models/access-log.model';
import { documentModel } from './models/document.model';
import { DocumentsDomain } from './documents-domain';
import { documentResolvers } from './resolvers/document.resolver';
import { DocumentFiles } from './files/document-files';
import type { FileStore } from './files/file-store';
import { fileRoutes } from './files/file-routes';
import { fileStoreOf } from './files/file-store-config';
import { FILES_PREFIX, LocalFileStore } from './files/local-file-store';
import { UrlSigner } from './files/url-signer';

export { loadDocumentsConfig, type DocumentsConfig } from './config';
export type { SubgraphService } from '@psa/shared';
export { UrlSigner, type FileClaims } from './files/url-signer';
export type { FileStore } from './files/file-store';

/** What the documents service can be given instead of building it from configuration. */
export interface DocumentsServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
  /** Where uploaded files' bytes go. Default: FILE_STORE (the local disk at FILES_DIR, or S3). */
  fileStore?: FileStore;
}

/**
 * Starts the documents subgraph: connects to its database (in the background, retrying), keeps its
 * read model of project access from the projects service's events, and serves GraphQL. Resolves
 * once it listens.
 */
export function startDocumentsService(
  config: DocumentsConfig,
  logger: Logger,
  deps: DocumentsServiceDeps = {},
): Promise<SubgraphService> {
  const events = createEventBus(config, logger, 'documents', deps.events);
  // Development and tests sign with a key of their own: links live minutes, one process serves them.
  const signer = new UrlSigner(
    config.FILES_SIGNING_SECRET
      ? Buffer.from(config.FILES_SIGNING_SECRET, 'utf8')
      : randomBytes(32),
  );
  const store =
    deps.fileStore ??
    fileStoreOf(config, () => new LocalFileStore(path.resolve(config.FILES_DIR), signer));
  let purge: NodeJS.Timeout | undefined;
  return startSubgraphService<DocumentsContext>({
    name: 'documents',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: documentResolvers,
    config,
    port: config.DOCUMENTS_PORT,
    dbName: config.DOCUMENTS_DB,
    keySet: createVerifierKeySet(config, logger),
    events,
    logger,
    setup: (connection, metrics) => {
      const documents = documentModel(connection);
      const accessLogs = accessLogModel(connection);
      const accessRecords = projectAccessModel(connection);
      const access = new ProjectAccess(accessRecords);
      const outboxEntries = outboxModel(connection);
      const outbox = new Outbox(
        outboxEntries,
        events,
        { [ANNOUNCE_TOPIC]: announceRelay },
        { logger, ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS, published: metrics.eventsPublished },
      );
      const domain = new DocumentsDomain(
        documents,
        accessLogs,
        access,
        { allowHttpUrls: config.NODE_ENV !== 'production' },
        outbox,
        store,
      );
      const files = new DocumentFiles(
        documents,
        store,
        domain,
        access,
        { maxUploadBytes: config.MAX_UPLOAD_BYTES },
        logger,
      );
      const sweep = () =>
        files
          .purgeStaleUploads()
          .catch((error: unknown) => logger.warn({ err: error }, 'purging stale uploads failed'));
      return {
        models: [documents, accessLogs, accessRecords, outboxEntries],
        outbox,
        // Every replica sweeps: purging is idempotent, and a sweep is one indexed query.
        initialize: async () => {
          await sweep();
          purge = setInterval(() => void sweep(), config.UPLOAD_PURGE_INTERVAL_MS).unref();
        },
        dispose: async () => clearInterval(purge),
        ...(store.servesOwnUrls
          ? {
              transferRoutes: {
                [FILES_PREFIX]: fileRoutes({ store, signer, hooks: files, logger }),
              },
            }
          : {}),
        consumers: {
          [STREAMS.projects]: async (event) => {
            const snapshot = payloadOf(projectAccessChanged, event, logger);
            if (snapshot) await domain.applyProjectAccess(snapshot);
          },
        },
        context: (base) => ({
          ...base,
          loaders: {
            document: createByIdLoader(documents),
            projectAccess: access.createLoader(),
            view: new DataLoader<string, true>(async (ids) => {
              const caller = requireIdentity(base.caller);
              await domain.record(
                caller,
                ids.map((id) => new Types.ObjectId(id)),
                'VIEW',
              );
              return ids.map(() => true as const);
            }),
          },
          domain,
          files,
          origin: config.FILES_PUBLIC_URL ?? base.origin ?? '',
        }),
      };
    },
  });
}
