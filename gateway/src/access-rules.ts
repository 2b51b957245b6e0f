import {
  Kind,
  parse,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DefinitionNode,
  type FieldDefinitionNode,
} from 'graphql';
import { hasRole, ROLES, type Role } from '@psa/shared';
import { linkedDirectiveName } from './linked-directive';

/** The `@link` URL the auth directive is declared under, without its version. */
export const AUTH_SPEC_URL = 'https://psa.example/auth/';

/**
 * What `@auth` alone requires: any signed-in caller. CLIENT is the lowest role, so every
 * signed-in caller has at least it.
 */
export const SIGNED_IN: Role = 'CLIENT';

/** The stricter of two requirements (null = public). */
export function strictest(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return hasRole(a, b) ? a : b;
}

/**
 * Who may select what, read from the supergraph's `@auth` applications: `Type.field → minimum
 * role`. A type's `@auth` applies to each of its fields (and to `__typename` on it); a field's own
 * `@auth` can only make it stricter. A field selected through an interface requires the strictest
 * of the implementations' rules, so an interface cannot be used to get around them.
 */
export class AccessRules {
  constructor(
    private readonly fields: ReadonlyMap<string, Role>,
    private readonly types: ReadonlyMap<string, Role>,
  ) {}

  /** The role `typeName.fieldName` requires, or null when it is public. */
  requirement(typeName: string, fieldName: string): Role | null {
    if (fieldName === '__typename') return this.types.get(typeName) ?? null;
    return this.fields.get(`${typeName}.${fieldName}`) ?? null;
  }

  /** Every protected field as `Type.field → role`, sorted (for logs and tests). */
  toJSON(): Record<string, Role> {
    return Object.fromEntries([...this.fields].sort(([a], [b]) => a.localeCompare(b)));
  }
}

const argument = (directive: ConstDirectiveNode, name: string): ConstValueNode | undefined =>
  directive.arguments?.find((a) => a.name.value === name)?.value;

/**
 * The name the supergraph gives the auth directive. Throws when the supergraph links no auth
 * spec: a gateway without rules would let everything through.
 */
function authDirectiveName(definitions: readonly DefinitionNode[]): string {
  const name = linkedDirectiveName(definitions, AUTH_SPEC_URL, 'auth');
  if (name !== null) return name;
  throw new Error(
    `The supergraph links no ${AUTH_SPEC_URL} spec: refusing to serve it without @auth rules (was @composeDirective(name: "@auth") dropped?)`,
  );
}

interface CompositeType {
  role: Role | null;
  fields: Map<string, Role | null>;
  interfaces: string[];
}

/**
 * Builds the rules from the supergraph SDL (the schema Apollo hands to plugins has no `@auth`).
 * Throws when the SDL links no auth spec, or an `@auth` names no known role.
 */
export function accessRulesFromSupergraph(supergraphSdl: string): AccessRules {
  const { definitions } = parse(supergraphSdl);
  const directiveName = authDirectiveName(definitions);
  const roleOf = (where: string, directives: readonly ConstDirectiveNode[] = []): Role | null => {
    const auth = directives.find((d) => d.name.value === directiveName);
    if (!auth) return null;
    const requires = argument(auth, 'requires');
    if (!requires || requires.kind === Kind.NULL) return SIGNED_IN;
    const role = requires.kind === Kind.ENUM ? requires.value : '';
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`@auth on ${where}: requires must be one of ${ROLES.join(', ')}`);
    }
    return role as Role;
  };

  const objects = new Map<string, CompositeType>();
  const interfaces = new Map<string, CompositeType>();
  const unions = new Map<string, string[]>();
  const collect = (
    into: Map<string, CompositeType>,
    name: string,
    directives: readonly ConstDirectiveNode[] | undefined,
    fields: readonly FieldDefinitionNode[] | undefined,
    implemented: readonly { name: { value: string } }[] | undefined,
  ): void => {
    const type: CompositeType = into.get(name) ?? { role: null, fields: new Map(), interfaces: [] };
    type.role = strictest(type.role, roleOf(name, directives));
    for (const field of fields ?? []) {
      const coordinate = `${name}.${field.name.value}`;
      type.fields.set(
        field.name.value,
        strictest(type.fields.get(field.name.value) ?? null, roleOf(coordinate, field.directives)),
      );
    }
    type.interfaces.push(...(implemented ?? []).map((i) => i.name.value));
    into.set(name, type);
  };
  for (const definition of definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
        collect(
          objects,
          definition.name.value,
          definition.directives,
          definition.fields,
          definition.interfaces,
        );
        break;
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        collect(
          interfaces,
          definition.name.value,
          definition.directives,
          definition.fields,
          definition.interfaces,
        );
        break;
      case Kind.UNION_TYPE_DEFINITION:
      case Kind.UNION_TYPE_EXTENSION:
        unions.set(definition.name.value, [
          ...(unions.get(definition.name.value) ?? []),
          ...(definition.types ?? []).map((t) => t.name.value),
        ]);
        break;
      default:
        break;
    }
  }

  const fieldRules = new Map<string, Role>();
  const typeRules = new Map<string, Role>();
  const set = <K>(map: Map<K, Role>, key: K, role: Role | null): void => {
    if (role !== null) map.set(key, role);
  };
  const objectFieldRole = (object: CompositeType, field: string): Role | null =>
    strictest(object.role, object.fields.get(field) ?? null);

  for (const [name, object] of objects) {
    set(typeRules, name, object.role);
    for (const field of object.fields.keys()) {
      set(fieldRules, `${name}.${field}`, objectFieldRole(object, field));
    }
  }
  for (const [name, iface] of interfaces) {
    const implementations = [...objects.values()].filter((o) => o.interfaces.includes(name));
    set(
      typeRules,
      name,
      implementations.reduce<Role | null>((role, o) => strictest(role, o.role), iface.role),
    );
    for (const [field, own] of iface.fields) {
      set(
        fieldRules,
        `${name}.${field}`,
        implementations.reduce<Role | null>(
          (role, o) => strictest(role, objectFieldRole(o, field)),
          strictest(iface.role, own),
        ),
      );
    }
  }
  for (const [name, members] of unions) {
    set(
      typeRules,
      name,
      members.reduce<Role | null>((role, m) => strictest(role, objects.get(m)?.role ?? null), null),
    );
  }
  return new AccessRules(fieldRules, typeRules);
}
