import { Kind, parse } from 'graphql';
import { linkedDirectiveName } from './linked-directive';

/** The `@link` URL the sharing directive is declared under, without its version. */
export const SHARING_SPEC_URL = 'https://psa.example/sharing/';

/**
 * Which fields' values may be shared between callers of one role, read from the supergraph's
 * `@sameForRole` applications (declared beside each field in its subgraph's schema). Every other
 * field is per caller: a field added without the declaration can never hand one caller's view
 * to another, it only costs a resolution per caller.
 */
export class ResultSharing {
  constructor(private readonly shared: ReadonlySet<string>) {}

  /** May `typeName.fieldName`'s value be resolved once for every caller of one role? */
  sameForRole(typeName: string, fieldName: string): boolean {
    return fieldName === '__typename' || this.shared.has(`${typeName}.${fieldName}`);
  }

  /** Every shared field as `Type.field`, sorted (for logs and tests). */
  toJSON(): string[] {
    return [...this.shared].sort();
  }
}

/**
 * Builds the sharing rules from the supergraph SDL (the API schema Apollo builds drops custom
 * directives). A supergraph that links no sharing spec shares nothing.
 */
export function resultSharingFromSupergraph(supergraphSdl: string): ResultSharing {
  const { definitions } = parse(supergraphSdl);
  const directive = linkedDirectiveName(definitions, SHARING_SPEC_URL, 'sameForRole');
  const shared = new Set<string>();
  for (const definition of definitions) {
    if (
      directive === null ||
      (definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
        definition.kind !== Kind.OBJECT_TYPE_EXTENSION)
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      if (field.directives?.some((d) => d.name.value === directive)) {
        shared.add(`${definition.name.value}.${field.name.value}`);
      }
    }
  }
  return new ResultSharing(shared);
}
