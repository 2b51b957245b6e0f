import {
  BREAK,
  getNullableType,
  isListType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { DEFAULT_PAGE_SIZE, ErrorCode, hasRole, type Role } from '@psa/shared';
import type { AccessRules } from './access-rules';
import { gatewayError } from './gateway-errors';

/** A root field of a mutation, with its argument values (variables substituted). */
export interface MutationField {
  name: string;
  /** Where its result is in the response: the alias, else the name. */
  responseKey: string;
  args: Record<string, unknown>;
}

/** What an operation selects, as far as authorization and limits are concerned. */
export interface OperationAnalysis {
  /** The strictest role any selected field requires, and the first field requiring it; null: public. */
  required: { role: Role; field: string } | null;
  /** Deepest field nesting (a root field is depth 1); introspection fields are not counted. */
  depth: number;
  /** The operation's cost (see {@link analyzeOperation}); a lower bound when `complete` is false. */
  cost: number;
  /** False when the walk stopped early, having visited more than `maxCost` fields. */
  complete: boolean;
  /** Root fields of a mutation in selection order (each alias counts); empty for queries. */
  mutationFields: MutationField[];
}

export interface AnalyzeOptions {
  /** The API schema the document was validated against. */
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** Coerced variable values. */
  variableValues: Record<string, unknown>;
  rules: AccessRules;
  /**
   * The walk stops after visiting more fields than this: every field costs at least 1, so the
   * cost is over `maxCost` too, and a fragment bomb costs no more work than that. Below it the
   * cost is exact, however large the multipliers make it.
   */
  maxCost: number;
}

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/**
 * The operation's variables coerced to their declared types, as execution will see them. Throws
 * BAD_USER_INPUT (400, or 200 to an `application/json` client) naming what is wrong when they
 * cannot be.
 */
export function coercedVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], inputs ?? {});
  if (result.errors) {
    // The variable definitions mark it a variable-coercion failure, which the HTTP layer answers
    // as GraphQL over HTTP asks (200 to an application/json client).
    throw gatewayError(
      ErrorCode.BAD_USER_INPUT,
      result.errors.map((e) => e.message).join('; ') || 'Invalid variables',
      {},
      { nodes: result.errors.flatMap((e) => e.nodes ?? []) },
    );
  }
  return result.coerced;
}

/**
 * Walks the operation with `TypeInfo`, following fragment spreads and inline fragments (every
 * alias counted), and measures what authorization and the limits need.
 *
 * Cost: each field costs 1 times the product of its ancestors' multipliers. A field with a `first`
 * argument multiplies its subtree by `first` (at least 1; default {@link DEFAULT_PAGE_SIZE} when
 * absent); a list-typed field multiplies by the same default unless its parent already paid for a
 * page (the `edges` of a connection). Introspection subtrees (`__schema`, `__type`) cost 1 per
 * field with no multipliers and no depth: the gateway answers them itself, and graphql-js's
 * `MaxIntrospectionDepthRule` already bounds their nesting.
 *
 * Fields under `@skip`/`@include` are counted as if selected: the check is on the document, not
 * on what one set of variables happens to select.
 */
export function analyzeOperation(options: AnalyzeOptions): OperationAnalysis {
  const { schema, document, operation, variableValues, rules, maxCost } = options;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const mutationType = schema.getMutationType();
  const result: OperationAnalysis = {
    required: null,
    depth: 0,
    cost: 0,
    complete: true,
    mutationFields: [],
  };
  interface Frame {
    /** Product of the multipliers of this field and its ancestors. */
    product: number;
    depth: number;
    /** This field took a `first` argument: list fields directly below are its page. */
    paged: boolean;
    introspection: boolean;
  }
  const frames: Frame[] = [];
  let visited = 0;

  const walk = (node: OperationDefinitionNode | FragmentDefinitionNode): void => {
    const typeInfo = new TypeInfo(schema);
    visit(
      node,
      visitWithTypeInfo(typeInfo, {
        Field: {
          enter(field) {
            if (!result.complete) return BREAK;
            if (++visited > maxCost) {
              result.complete = false;
              return BREAK;
            }
            const parentType = typeInfo.getParentType();
            const fieldDef = typeInfo.getFieldDef();
            const name = field.name.value;
            const parent = frames[frames.length - 1];
            const introspection = (parent?.introspection ?? false) || INTROSPECTION_ROOTS.has(name);

            if (parentType && !introspection) {
              const role = rules.requirement(parentType.name, name);
              if (role && (!result.required || !hasRole(result.required.role, role))) {
                result.required = { role, field: `${parentType.name}.${name}` };
              }
            }
            const args =
              fieldDef && fieldDef.args.length
                ? getArgumentValues(fieldDef, field, variableValues)
                : {};
            if (parentType && parentType === mutationType) {
              result.mutationFields.push({ name, responseKey: field.alias?.value ?? name, args });
            }

            const product = parent?.product ?? 1;
            if (introspection) {
              result.cost += 1;
              frames.push({ product, depth: parent?.depth ?? 0, paged: false, introspection });
            } else {
              result.cost += product;
              const paged = fieldDef?.args.some((a) => a.name === 'first') ?? false;
              const first = args.first;
              const listed = fieldDef ? isListType(getNullableType(fieldDef.type)) : false;
              const multiplier = paged
                ? typeof first === 'number'
                  ? Math.max(first, 1)
                  : DEFAULT_PAGE_SIZE
                : listed && !parent?.paged
                  ? DEFAULT_PAGE_SIZE
                  : 1;
              const depth = (parent?.depth ?? 0) + 1;
              result.depth = Math.max(result.depth, depth);
              frames.push({ product: product * multiplier, depth, paged, introspection });
            }
            return undefined;
          },
          leave() {
            frames.pop();
          },
        },
        FragmentSpread: {
          enter(spread) {
            if (!result.complete) return BREAK;
            const fragment = fragments.get(spread.name.value);
            if (fragment) walk(fragment);
            return undefined;
          },
        },
      }),
    );
  };
  walk(operation);
  return result;
}
