import type { Document } from '../../bson/values';

/** Options of one update statement that change how its update document applies. */
export interface UpdateContext {
  /** Filters for `$[<identifier>]` (the command's `arrayFilters`). */
  arrayFilters?: Document[];
  /**
   * Index of the array element matched by the query, for the positional `$` operator; undefined
   * when the query matched no array element. The engine computes it; the update only uses it.
   */
  positionalIndex?: number;
  /** True when this update builds the document inserted by an upsert ($setOnInsert applies only then). */
  isUpsertInsert?: boolean;
  /** Current time for $currentDate and `$$NOW` (default `new Date()`). */
  now?: Date;
  /** The command's `let` variables, for `$$name` in a pipeline-style update. */
  variables?: Document;
}

/** The document an update produced and whether it differs from the input (MongoDB's nModified). */
export interface UpdateOutcome {
  document: Document;
  modified: boolean;
}
