import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ErrorCode, type RealtimeKind } from '@psa/shared';
import type { ResultSharing } from '../result-sharing';

/**
 * The subscription fields the gateway serves, and the query field that resolves one event of
 * each (by the id the owning subgraph published) with the subscriber's selection. A project's
 * fields take its `projectId`; a user's (`scope: 'user'`) take nothing and always mean the
 * caller's own channel, so no one can listen to another user's.
 */
const REALTIME_FIELDS: Record<
  string,
  { kind: RealtimeKind; resolveWith: string; scope: 'project' | 'user' }
> = {
  statusUpdated: { kind: 'status', resolveWith: 'statusUpdate', scope: 'project' },
  taskChanged: { kind: 'tasks', resolveWith: 'taskEvent', scope: 'project' },
  notificationReceived: { kind: 'notifications', resolveWith: 'notification', scope: 'user' },
};

/** The variable the event's id goes in; callers cannot declare `$__`-prefixed names themselves. */
const EVENT_ID_VARIABLE = '__psaEventId';

/** A validated subscription, ready to be served. */
export interface RealtimeOperation {
  kind: RealtimeKind;
  /** The project of a project's field; null for a user's (the subscriber's own channel). */
  projectId: string | null;
  /** The key of the result in `data` (the field's alias, or its name). */
  responseKey: string;
  /** The query that resolves one event: `{ <responseKey>: <resolveWith>(id: $__psaEventId) <selection> }`. */
  resolution: DocumentNode;
  /** The variables the resolution uses, without the event id. */
  variables: Record<string, unknown>;
  /**
   * Whether results may differ between two subscribers with the same role: the selection reaches
   * a field not declared `@sameForRole` ({@link ResultSharing}).
   */
  perCaller: boolean;
  /** Identifies the resolution and its variables: equal keys resolve to equal results for equal callers. */
  key: string;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.STRING) return node.value;
  return undefined;
}

/** Fragments reachable from `selection`, in document order. */
function usedFragments(
  selection: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const used = new Set<string>();
  const walk = (node: SelectionSetNode | FragmentDefinitionNode): void => {
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        const fragment = fragments.get(name);
        if (used.has(name) || !fragment) return;
        used.add(name);
        walk(fragment);
      },
    });
  };
  walk(selection);
  return [...fragments.values()].filter((fragment) => used.has(fragment.name.value));
}

/** Variable names used anywhere in `nodes`. */
function usedVariables(nodes: readonly (SelectionSetNode | FragmentDefinitionNode)[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) {
    visit(node, {
      Variable(variable) {
        names.add(variable.name.value);
      },
    });
  }
  return names;
}

function touchesPerCallerData(
  schema: GraphQLSchema,
  sharing: ResultSharing,
  document: DocumentNode,
): boolean {
  const typeInfo = new TypeInfo(schema);
  let perCaller = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || !sharing.sameForRole(parent.name, node.name.value)) perCaller = true;
      },
    }),
  );
  return perCaller;
}

/**
 * Reads a validated subscription document: which realtime field it selects, for which project,
 * and the query that resolves one of its events with the same selection. Throws a GraphQLError
 * (BAD_USER_INPUT) for a subscription the gateway cannot serve.
 */
export function realtimeOperation(
  schema: GraphQLSchema,
  sharing: ResultSharing,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): RealtimeOperation {
  const refuse = (message: string): never => {
    throw new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  };
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    refuse('Only subscriptions are served over WebSocket; send queries and mutations over HTTP');
  }
  const [selection, ...others] = operation.selectionSet.selections;
  if (!selection || others.length > 0 || selection.kind !== Kind.FIELD) {
    refuse('Select exactly one subscription field, directly (not through a fragment)');
  }
  const field = selection as FieldNode;
  const served = REALTIME_FIELDS[field.name.value];
  if (!served) refuse(`Subscription field ${field.name.value} is not served`);
  const projectArgument = field.arguments?.find((arg) => arg.name.value === 'projectId');
  const projectId = projectArgument ? valueOf(projectArgument.value, variables) : undefined;
  const userScoped = (served as { scope: 'project' | 'user' }).scope === 'user';
  if (!userScoped && (typeof projectId !== 'string' || !/^[0-9a-fA-F]{24}$/.test(projectId))) {
    throw new GraphQLError('projectId is not a valid id', {
      extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'projectId' },
    });
  }
  if (!field.selectionSet) refuse('Select the fields to receive');
  const selectionSet = field.selectionSet as SelectionSetNode;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const needed = usedFragments(selectionSet, fragments);
  const variableNames = usedVariables([selectionSet, ...needed]);
  const responseKey = field.alias?.value ?? field.name.value;
  const name = (value: string) => ({ kind: Kind.NAME, value }) as const;
  const resolutionOperation: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: OperationTypeNode.QUERY,
    name: name('PsaRealtimeEvent'),
    variableDefinitions: [
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: name(EVENT_ID_VARIABLE) },
        type: {
          kind: Kind.NON_NULL_TYPE,
          type: { kind: Kind.NAMED_TYPE, name: name('ID') },
        },
      },
      ...(operation.variableDefinitions ?? []).filter((definition) =>
        variableNames.has(definition.variable.name.value),
      ),
    ],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        {
          kind: Kind.FIELD,
          alias: name(responseKey),
          name: name((served as { resolveWith: string }).resolveWith),
          arguments: [
            {
              kind: Kind.ARGUMENT,
              name: name('id'),
              value: { kind: Kind.VARIABLE, name: name(EVENT_ID_VARIABLE) },
            },
          ],
          selectionSet,
        },
      ],
    },
  };
  const resolution: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [resolutionOperation, ...needed],
  };
  const usedValues = Object.fromEntries(
    Object.entries(variables).filter(([key]) => variableNames.has(key)),
  );
  return {
    kind: (served as { kind: RealtimeKind }).kind,
    projectId: userScoped ? null : (projectId as string).toLowerCase(),
    responseKey,
    resolution,
    variables: usedValues,
    perCaller: touchesPerCallerData(schema, sharing, resolution),
    key: JSON.stringify([resolutionSignature(resolution), usedValues]),
  };
}

/** A canonical text of a document (whitespace and comments do not matter). */
function resolutionSignature(document: DocumentNode): string {
  return JSON.stringify(document, (key, value: unknown) => (key === 'loc' ? undefined : value));
}

export { EVENT_ID_VARIABLE };
