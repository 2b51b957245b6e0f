import type { Types } from 'mongoose';

/**
 * An entity another subgraph owns, as this one knows it: by id. The gateway resolves the rest in
 * the owning subgraph. The shape the GraphQL layer resolves `User` and `Project` from in the
 * subgraphs that do not own them (GraphQL Code Generator mappers).
 */
export interface EntityReference {
  id: string;
}
export type UserReference = EntityReference;
export type ProjectReference = EntityReference;
export type TaskReference = EntityReference;

/** A reference to the user `id` for the gateway to resolve in the users subgraph. */
export const userReference = (id: Types.ObjectId) => ({
  __typename: 'User' as const,
  id: id.toHexString(),
});

/** A reference to the project `id` for the gateway to resolve in the projects subgraph. */
export const projectReference = (id: Types.ObjectId) => ({
  __typename: 'Project' as const,
  id: id.toHexString(),
});

/** A reference to the task `id` for the gateway to resolve in the tasks subgraph. */
export const taskReference = (id: Types.ObjectId) => ({
  __typename: 'Task' as const,
  id: id.toHexString(),
});
