import type DataLoader from 'dataloader';
import type { ProjectAccessRecord, SubgraphContextBase } from '@psa/shared';
import type { DocumentRecord } from './models/document.model';
import type { DocumentsDomain } from './documents-domain';
import type { DocumentFiles } from './files/document-files';

/** Per-request context of the documents subgraph. */
export interface DocumentsContext extends SubgraphContextBase {
  loaders: {
    document: DataLoader<string, DocumentRecord | null>;
    /** Who may see a project (by id), from the read model kept from the projects service's events. */
    projectAccess: DataLoader<string, ProjectAccessRecord | null>;
    /**
     * Records a VIEW of a document (by id) by the caller. Batched: every document read in one tick
     * of a request (a list, `_entities`) is recorded with one insert, and each once per request.
     */
    view: DataLoader<string, true>;
  };
  domain: DocumentsDomain;
  files: DocumentFiles;
  /** The origin absolute file links are made on: FILES_PUBLIC_URL, else the request's. */
  origin: string;
}
