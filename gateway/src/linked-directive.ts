import {
  Kind,
  parse,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
} from 'graphql';

const stringValue = (value: ConstValueNode | undefined): string | undefined =>
  value?.kind === Kind.STRING ? value.value : undefined;

const argument = (directive: ConstDirectiveNode, name: string): ConstValueNode | undefined =>
  directive.arguments?.find((a) => a.name.value === name)?.value;

/**
 * The name a supergraph gives directive `@<name>` of the spec linked at `specUrl` (without its
 * version): `name` when imported as `@name`, the `as` name when renamed, `<namespace>__name` when
 * not imported. Null when the supergraph links no such spec.
 */
export function linkedDirectiveName(
  definitions: readonly DefinitionNode[],
  specUrl: string,
  name: string,
): string | null {
  for (const definition of definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION)
      continue;
    for (const link of definition.directives ?? []) {
      const url = stringValue(argument(link, 'url'));
      if (link.name.value !== 'link' || !url?.startsWith(specUrl)) continue;
      const imports = argument(link, 'import');
      for (const item of imports?.kind === Kind.LIST ? imports.values : []) {
        if (stringValue(item) === `@${name}`) return name;
        if (item.kind === Kind.OBJECT) {
          const field = (key: string) =>
            stringValue(item.fields.find((f) => f.name.value === key)?.value);
          if (field('name') === `@${name}`) return (field('as') ?? `@${name}`).replace(/^@/, '');
        }
      }
      return `${stringValue(argument(link, 'as')) ?? specUrl.split('/').at(-2)}__${name}`;
    }
  }
  return null;
}

/**
 * Every field, as `Type.field`, that the supergraph marks with directive `@<name>` of the spec
 * linked at `specUrl` (read from the supergraph SDL: the API schema Apollo builds drops custom
 * directives). Empty when the supergraph links no such spec.
 */
export function fieldsWithLinkedDirective(
  supergraphSdl: string,
  specUrl: string,
  name: string,
): Set<string> {
  const { definitions } = parse(supergraphSdl);
  const directive = linkedDirectiveName(definitions, specUrl, name);
  const fields = new Set<string>();
  if (directive === null) return fields;
  for (const definition of definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION
    ) {
      continue;
    }
    for (const field of definition.fields ?? []) {
      if (field.directives?.some((d) => d.name.value === directive)) {
        fields.add(`${definition.name.value}.${field.name.value}`);
      }
    }
  }
  return fields;
}
