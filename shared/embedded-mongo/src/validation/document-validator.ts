import { isPlainObject, toView, type Document } from '../bson/values';
import { ErrorCode, fail } from '../errors';
import { compileFilter, type Matcher } from '../query/matcher';
import { MISSING, valuesAtPath } from '../query/paths';
import { compileJsonSchema, type SchemaCheck } from './json-schema';

/** How strictly a collection's validator applies (`validationLevel`). */
export type ValidationLevel = 'off' | 'strict' | 'moderate';
/** What a failing write does (`validationAction`). */
export type ValidationAction = 'error' | 'warn';

const LEVELS: readonly ValidationLevel[] = ['off', 'strict', 'moderate'];
const ACTIONS: readonly ValidationAction[] = ['error', 'warn'];

/** Query features mongod refuses inside a validator. */
const NOT_ALLOWED_IN_VALIDATOR = new Set(['$where', '$text', '$near', '$nearSphere', '$geoNear']);

/** A collection's compiled validator with its level and action. */
export interface DocumentValidator {
  readonly level: ValidationLevel;
  readonly action: ValidationAction;
  /** True when the document (exact form) satisfies the validator. */
  passes(doc: Document): boolean;
  /** `errInfo.details` for a document that does not satisfy the validator. */
  details(doc: Document): Document;
}

function enumOption<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string')
    fail(ErrorCode.TypeMismatch, `BSON field '${field}' is the wrong type, expected type 'string'`);
  if (!(allowed as readonly string[]).includes(value)) {
    fail(
      ErrorCode.BadValue,
      `Enumeration value '${value}' for field '${field}' is not a valid value.`,
    );
  }
  return value as T;
}

function assertAllowed(filter: unknown): void {
  if (Array.isArray(filter)) {
    filter.forEach(assertAllowed);
    return;
  }
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (NOT_ALLOWED_IN_VALIDATOR.has(key))
      fail(ErrorCode.QueryFeatureNotAllowed, `${key} is not allowed in this context`);
    if (key !== '$jsonSchema') assertAllowed(value);
  }
}

/**
 * Checks the validation options of a `create` or `collMod` (validator, validationLevel,
 * validationAction) as mongod does, throwing its errors for malformed ones.
 */
export function checkValidationOptions(options: Document): void {
  if (options.validator !== undefined) {
    if (!isPlainObject(options.validator))
      fail(ErrorCode.TypeMismatch, "BSON field 'validator' is the wrong type, expected object");
    assertAllowed(options.validator);
    compileValidatorFilter(options.validator);
  }
  if (options.validationLevel !== undefined)
    enumOption('validationLevel', options.validationLevel, LEVELS);
  if (options.validationAction !== undefined)
    enumOption('validationAction', options.validationAction, ACTIONS);
}

interface Clause {
  key: string;
  value: unknown;
  matcher: Matcher;
  schema: SchemaCheck | null;
}

function compileValidatorFilter(validator: Document): Clause[] {
  return Object.entries(validator).map(([key, value]) => ({
    key,
    value,
    matcher: compileFilter({ [key]: value }),
    schema: key === '$jsonSchema' && isPlainObject(value) ? compileJsonSchema(value) : null,
  }));
}

/** The collection's validator, or null when it has none (or an empty one). */
export function compileValidator(options: Document): DocumentValidator | null {
  const validator = options.validator;
  if (!isPlainObject(validator) || Object.keys(validator).length === 0) return null;
  const clauses = compileValidatorFilter(validator);
  const level = (options.validationLevel as ValidationLevel | undefined) ?? 'strict';
  const action = (options.validationAction as ValidationAction | undefined) ?? 'error';
  const failing = (doc: Document): Clause[] => {
    const view = toView(doc) as Document;
    return clauses.filter((clause) => !clause.matcher.test(view));
  };
  return {
    level,
    action,
    passes: (doc) => failing(doc).length === 0,
    details: (doc) => {
      const failed = failing(doc);
      if (clauses.length === 1 && failed[0]) return clauseDetails(failed[0], doc);
      return {
        operatorName: '$and',
        clausesNotSatisfied: failed.map((clause) => ({
          index: clauses.indexOf(clause),
          details: clauseDetails(clause, doc),
        })),
      };
    },
  };
}

/** Why one top-level clause of a validator failed, in mongod's `errInfo.details` shape. */
function clauseDetails(clause: Clause, doc: Document): Document {
  const { key, value } = clause;
  if (clause.schema) {
    return { operatorName: '$jsonSchema', schemaRulesNotSatisfied: clause.schema(doc) };
  }
  const specifiedAs = { [key]: value };
  if (key === '$expr') {
    return {
      operatorName: '$expr',
      specifiedAs,
      reason: 'expression did not match',
      expressionResult: false,
    };
  }
  if (key.startsWith('$'))
    return { operatorName: key, specifiedAs, reason: 'clause did not match' };
  const operators =
    isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))
      ? Object.keys(value)
      : ['$eq'];
  const found = valuesAtPath(doc, key).filter((v) => v !== MISSING);
  const [operatorName] = operators as [string];
  if (found.length === 0 && operatorName !== '$exists') {
    return { operatorName, specifiedAs, reason: 'field was missing' };
  }
  return {
    operatorName,
    specifiedAs,
    reason: operatorName === '$type' ? 'type did not match' : 'comparison failed',
    ...(found.length === 1 ? { consideredValue: found[0] } : { consideredValues: found }),
  };
}

/** Where a write that fails validation under `validationAction: 'warn'` is reported. */
export interface ValidationWarnings {
  warn(obj: object, msg?: string): void;
}

/**
 * Applies a collection's validator to a document about to be written (after `_id` is set), as
 * mongod does: nothing with no validator, `validationLevel: 'off'` or `bypassDocumentValidation`;
 * with `'moderate'`, an update of a document that already failed validation is let through.
 * Throws DocumentValidationFailure (121) with `errInfo`, or logs under `validationAction: 'warn'`.
 *
 * @param previous the document being updated or replaced; undefined for an insert or upsert.
 */
export function enforceValidation(
  validator: DocumentValidator | null,
  doc: Document,
  previous: Document | undefined,
  write: { ns: string; bypass: boolean; warnings: ValidationWarnings },
): void {
  if (!validator || validator.level === 'off' || write.bypass) return;
  if (validator.passes(doc)) return;
  if (previous && validator.level === 'moderate' && !validator.passes(previous)) return;
  const errInfo = { failingDocumentId: doc._id, details: validator.details(doc) };
  if (validator.action === 'warn') {
    write.warnings.warn({ namespace: write.ns, errInfo }, 'Document would fail validation');
    return;
  }
  fail(ErrorCode.DocumentValidationFailure, 'Document failed validation', { errInfo });
}
