/**
 * GraphQL operations many cross-service tests send, each answering the new or changed id.
 */
export const CREATE_PROJECT =
  'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }';
export const ADD_MEMBER =
  'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }';
export const REMOVE_MEMBER =
  'mutation ($input: RemoveProjectMemberInput!) { removeProjectMember(input: $input) { id } }';
export const CREATE_TASK =
  'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }';
export const CREATE_DOCUMENT =
  'mutation ($input: CreateDocumentInput!) { createDocument(input: $input) { id } }';
