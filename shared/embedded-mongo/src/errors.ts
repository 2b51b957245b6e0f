/**
 * MongoDB server error codes the engine answers with, named as mongod names them
 * (`codeName` in replies). Only codes the engine actually produces are listed.
 */
export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  NotSingleValueField: 54,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexAlreadyExists: 68,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  Unauthorized: 13,
  CannotBackfillArray: 34,
  EmptyFieldName: 56,
  CannotIndexParallelArrays: 171,
  NoQueryExecutionPlans: 291,
  NotImplemented: 238,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  GraphContainsCycle: 150,
  InvalidPipelineOperator: 168,
  DocumentValidationFailure: 121,
  InvalidIndexSpecificationOption: 197,
  QueryFeatureNotAllowed: 224,
  DuplicateKey: 11000,
  BSONObjectTooLarge: 10334,
} as const;

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'InternalError',
  2: 'BadValue',
  4: 'NoSuchKey',
  9: 'FailedToParse',
  13: 'Unauthorized',
  34: 'CannotBackfillArray',
  56: 'EmptyFieldName',
  14: 'TypeMismatch',
  16: 'InvalidLength',
  20: 'IllegalOperation',
  26: 'NamespaceNotFound',
  27: 'IndexNotFound',
  28: 'PathNotViable',
  40: 'ConflictingUpdateOperators',
  43: 'CursorNotFound',
  48: 'NamespaceExists',
  52: 'DollarPrefixedFieldName',
  53: 'InvalidIdField',
  54: 'NotSingleValueField',
  59: 'CommandNotFound',
  66: 'ImmutableField',
  67: 'CannotCreateIndex',
  68: 'IndexAlreadyExists',
  72: 'InvalidOptions',
  73: 'InvalidNamespace',
  85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict',
  121: 'DocumentValidationFailure',
  168: 'InvalidPipelineOperator',
  171: 'CannotIndexParallelArrays',
  197: 'InvalidIndexSpecificationOption',
  224: 'QueryFeatureNotAllowed',
  291: 'NoQueryExecutionPlans',
  166: 'CommandNotSupportedOnView',
  167: 'OptionNotSupportedOnView',
  150: 'GraphContainsCycle',
  238: 'NotImplemented',
  10334: 'BSONObjectTooLarge',
  11000: 'DuplicateKey',
};

/**
 * An error the server reports to the client as `{ ok: 0, errmsg, code, codeName }` (or as a
 * per-operation write error). `extra` fields (e.g. `keyPattern`, `keyValue`) are added to the reply.
 */
export class MongoServerError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MongoServerError';
    this.code = code;
    this.codeName = CODE_NAMES[code] ?? `Location${code}`;
    this.extra = extra;
  }

  /** The error as a command reply document. */
  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

/** Shorthand for throwing a {@link MongoServerError}. */
export function fail(code: number, message: string, extra?: Record<string, unknown>): never {
  throw new MongoServerError(code, message, extra);
}
