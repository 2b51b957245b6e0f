import { buildSchema } from 'graphql';

/**
 * A small supergraph-like SDL exercising every kind of rule: field and type `@auth`, an interface
 * and a union over a protected type, a connection with `first`, and a mutation.
 */
export const FIXTURE_SDL = /* GraphQL */ `
  schema @link(url: "https://psa.example/auth/v1.0", import: ["@auth"]) {
    query: Query
    mutation: Mutation
  }
  directive @link(url: String, as: String, import: [String]) repeatable on SCHEMA
  directive @auth(requires: Role) on FIELD_DEFINITION | OBJECT
  enum Role {
    ADMIN
    MANAGER
    MEMBER
    CLIENT
  }
  interface Node {
    id: ID!
  }
  type Secret implements Node @auth(requires: ADMIN) {
    id: ID!
    code: String
  }
  type Item implements Node {
    id: ID!
    name: String!
    price: Int @auth(requires: MEMBER)
    tags: [String!]!
    children(first: Int, after: String): ItemConnection!
  }
  type ItemConnection {
    edges: [ItemEdge!]!
    totalCount: Int!
  }
  type ItemEdge {
    node: Item!
  }
  union Anything = Secret | Item
  type Query {
    node(id: ID!): Node
    item(id: ID!): Item @auth
    items(first: Int): ItemConnection!
    anything: [Anything!]!
    publicInfo: String
  }
  input LoginInput {
    login: String!
    password: String!
  }
  type Mutation {
    login(input: LoginInput!): String
    signUp(name: String!): String
    createItem(name: String!): Item @auth(requires: MANAGER)
  }
`;

/** The fixture as the API schema Apollo hands to plugins. */
export const fixtureSchema = () => buildSchema(FIXTURE_SDL);
