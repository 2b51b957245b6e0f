/**
 * What every subgraph schema declares alike, written once and put in front of each service's
 * `schema.graphql` by {@link loadTypeDefs} (the subgraphs at run time, composition and code
 * generation alike). Composition needs the `@auth`, `@sameForRole` and `@immutable` definitions and `Role`
 * identical in every subgraph that uses them, so no service spells them itself.
 *
 * A TypeScript string rather than a `.graphql` file: the containers ship `shared/dist` only.
 */
export const SUBGRAPH_HEADER_SDL = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.9"
      import: ["@key", "@shareable", "@composeDirective", "@inaccessible"]
    )
    @link(url: "https://psa.example/auth/v1.0", import: ["@auth"])
    @link(url: "https://psa.example/sharing/v1.0", import: ["@sameForRole"])
    @link(url: "https://psa.example/caching/v1.0", import: ["@immutable"])
    @composeDirective(name: "@auth")
    @composeDirective(name: "@sameForRole")
    @composeDirective(name: "@immutable")

  """
  Who may use a field: \`@auth\` alone means signed in; \`@auth(requires: MANAGER)\` a minimum role.
  """
  directive @auth(requires: Role) on FIELD_DEFINITION | OBJECT

  """
  The field's value is the same for every caller of one role (given the same parent and
  arguments), so the gateway may resolve it once and hand the result to all of them (realtime
  events). A field without it is resolved for each caller on their own: declare it only where no
  part of the value depends on who asks (their own rows, what they may see, reads that are logged).
  """
  directive @sameForRole on FIELD_DEFINITION

  """
  The field's value never changes while its entity exists and is the same for every signed-in
  caller, so the gateway may answer it from what it saw before instead of calling the subgraph
  (a user's username; ADR 0015). Never for anything that can be edited or depends on who asks.
  """
  directive @immutable on FIELD_DEFINITION

  "An ISO-8601 date-time in UTC, e.g. 2026-12-01T00:00:00.000Z."
  scalar DateTime

  "Roles, highest first: ADMIN ⊇ MANAGER ⊇ MEMBER; CLIENT is an outside stakeholder."
  enum Role {
    ADMIN
    MANAGER
    MEMBER
    CLIENT
  }

  type PageInfo @shareable {
    hasNextPage: Boolean! @sameForRole
    endCursor: String @sameForRole
  }
`;
