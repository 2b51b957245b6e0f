import type DataLoader from 'dataloader';
import type { SubgraphContextBase } from '@psa/shared';
import type { DocumentRecord } from './models/document.model';
import type { DocumentsDomain } from './documents-domain';

/** Per-request context of the documents subgraph. */
export interface DocumentsContext extends SubgraphContextBase {
  loaders: { document: DataLoader<string, DocumentRecord | null> };
  domain: DocumentsDomain;
}
