import { fieldsWithLinkedDirective } from './linked-directive';

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
  return new ResultSharing(
    fieldsWithLinkedDirective(supergraphSdl, SHARING_SPEC_URL, 'sameForRole'),
  );
}
