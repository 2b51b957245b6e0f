import path from 'node:path';
import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import {
  createByIdLoader,
  createVerifierKeySet,
  requireIdentity,
  startSubgraphService,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import type { DocumentsConfig } from './config';
import type { DocumentsContext } from './context';
import { accessLogModel } from './models/access-log.model';
import { documentModel } from './models/document.model';
import { DocumentsDomain } from './documents-domain';
import { documentResolvers } from './resolvers/document.resolver';

export { loadDocumentsConfig, type DocumentsConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/**
 * Starts the documents subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens.
 */
export function startDocumentsService(
  config: DocumentsConfig,
  logger: Logger,
): Promise<SubgraphService> {
  return startSubgraphService<DocumentsContext>({
    name: 'documents',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: documentResolvers,
    config,
    port: config.DOCUMENTS_PORT,
    dbName: config.DOCUMENTS_DB,
    keySet: createVerifierKeySet(config, logger),
    logger,
    setup: (connection) => {
      const documents = documentModel(connection);
      const accessLogs = accessLogModel(connection);
      const domain = new DocumentsDomain(documents, accessLogs, {
        allowHttpUrls: config.NODE_ENV !== 'production',
      });
      return {
        models: [documents, accessLogs],
        context: (base) => ({
          ...base,
          loaders: {
            document: createByIdLoader(documents),
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
        }),
      };
    },
  });
}
