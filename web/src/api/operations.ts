/**
 * Every operation the console sends, with hand-written result types (the public contract,
 * ../shared/contract/api.graphql). GraphQL Code Generator could derive these from the supergraph.
 */
import { gql } from 'urql';
import type { Role, TaskStatus } from '../domain/workflow';

export type ProjectStatus = 'PLANNED' | 'ACTIVE' | 'ON_HOLD' | 'COMPLETED' | 'CANCELLED';
export const PROJECT_STATUSES: readonly ProjectStatus[] = [
  'PLANNED',
  'ACTIVE',
  'ON_HOLD',
  'COMPLETED',
  'CANCELLED',
];
export type TaskPriority = 'LOW' | 'MEDIUM' | 'HIGH' | 'URGENT';
export const TASK_PRIORITIES: readonly TaskPriority[] = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}
export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: T }[];
}

export interface SessionUser {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  role: Role;
}
export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: SessionUser;
}
export interface UserRef {
  id: string;
  username: string;
  displayName: string | null;
}

const AUTH_FIELDS = `accessToken refreshToken expiresAt user { id username email displayName role }`;

export const LoginMutation = gql<
  { login: AuthPayload },
  { input: { login: string; password: string } }
>(`
  mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }
`);

export interface SignUpInput {
  username: string;
  email: string;
  password: string;
  displayName?: string;
}
export const SignUpMutation = gql<{ signUp: AuthPayload }, { input: SignUpInput }>(`
  mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }
`);

export const REFRESH_SESSION = `mutation RefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { ${AUTH_FIELDS} }
}`;

export const LogoutMutation = gql<{ logout: boolean }, Record<string, never>>(`
  mutation Logout { logout }
`);
export const LogoutAllMutation = gql<{ logoutAll: boolean }, Record<string, never>>(`
  mutation LogoutAll { logoutAll }
`);

export interface MyTask {
  id: string;
  title: string;
  status: TaskStatus;
  overdue: boolean;
  dueDate: string | null;
  project: { id: string; name: string; manager: { id: string } };
}
export const MyWorkQuery = gql<
  { me: { id: string; assignedTasks: Connection<MyTask> } | null },
  Record<string, never>
>(`
  query MyWork {
    me {
      id
      assignedTasks(first: 50) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id title status overdue dueDate project { id name manager { id } } } }
      }
    }
  }
`);

export const SetTaskStatusMutation = gql<
  {
    setTaskStatus: { id: string; status: TaskStatus; completedAt: string | null; overdue: boolean };
  },
  { input: { taskId: string; status: TaskStatus } }
>(`
  mutation SetTaskStatus($input: SetTaskStatusInput!) {
    setTaskStatus(input: $input) { id status completedAt overdue }
  }
`);

export interface ProjectListItem {
  id: string;
  name: string;
  status: ProjectStatus;
  manager: UserRef;
  taskSummary: { total: number; percentComplete: number; overdue: number };
}
export interface ProjectFilter {
  status?: ProjectStatus;
  search?: string;
}
export const ProjectsQuery = gql<
  { projects: Connection<ProjectListItem> },
  { first: number; after?: string | null; filter?: ProjectFilter }
>(`
  query Projects($first: Int, $after: String, $filter: ProjectFilter) {
    projects(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id name status
          manager { id username displayName }
          taskSummary { total percentComplete overdue }
        }
      }
    }
  }
`);

export const CreateProjectMutation = gql<
  { createProject: { id: string; name: string; status: ProjectStatus } },
  { input: { name: string; description?: string; status?: ProjectStatus } }
>(`
  mutation CreateProject($input: CreateProjectInput!) {
    createProject(input: $input) { id name status }
  }
`);

export interface BoardTask {
  id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  overdue: boolean;
  dueDate: string | null;
  assignee: UserRef | null;
}
export interface StatusUpdateItem {
  id: string;
  message: string;
  status: ProjectStatus | null;
  automatic: boolean;
  timestamp: string;
  author: UserRef;
}
const STATUS_UPDATE_FIELDS = `id message status automatic timestamp author { id username displayName }`;

export interface ProjectDetail {
  id: string;
  name: string;
  description: string | null;
  status: ProjectStatus;
  manager: UserRef;
  members: (UserRef & { role: Role })[];
  taskSummary: {
    total: number;
    todo: number;
    inProgress: number;
    blocked: number;
    done: number;
    overdue: number;
    percentComplete: number;
  };
  tasks: Connection<BoardTask>;
  documents: Connection<{ id: string; title: string; fileUrl: string; owner: UserRef }>;
  statusUpdates: Connection<StatusUpdateItem>;
}
export const ProjectQuery = gql<{ project: ProjectDetail | null }, { id: string }>(`
  query Project($id: ID!) {
    project(id: $id) {
      id name description status
      manager { id username displayName }
      members { id username displayName role }
      taskSummary { total todo inProgress blocked done overdue percentComplete }
      tasks(first: 100) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id title description status priority overdue dueDate assignee { id username displayName } } }
      }
      documents(first: 50) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id title fileUrl owner { id username displayName } } }
      }
      statusUpdates(first: 50) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { ${STATUS_UPDATE_FIELDS} } }
      }
    }
  }
`);

export const StatusUpdatedSubscription = gql<
  { statusUpdated: StatusUpdateItem },
  { projectId: string }
>(`
  subscription StatusUpdated($projectId: ID!) {
    statusUpdated(projectId: $projectId) { ${STATUS_UPDATE_FIELDS} }
  }
`);

export const TaskChangedSubscription = gql<
  {
    taskChanged: {
      kind: 'CREATED' | 'UPDATED' | 'DELETED';
      task: { id: string; status: TaskStatus };
    };
  },
  { projectId: string }
>(`
  subscription TaskChanged($projectId: ID!) {
    taskChanged(projectId: $projectId) { kind task { id status } }
  }
`);

export const PostStatusUpdateMutation = gql<
  { postStatusUpdate: StatusUpdateItem },
  { input: { projectId: string; message: string; status?: ProjectStatus } }
>(`
  mutation PostStatusUpdate($input: PostStatusUpdateInput!) {
    postStatusUpdate(input: $input) { ${STATUS_UPDATE_FIELDS} }
  }
`);

export const CreateTaskMutation = gql<
  { createTask: { id: string; title: string; status: TaskStatus } },
  {
    input: {
      projectId: string;
      title: string;
      description?: string;
      dueDate?: string;
      assigneeId?: string;
      priority?: TaskPriority;
    };
  }
>(`
  mutation CreateTask($input: CreateTaskInput!) { createTask(input: $input) { id title status } }
`);

export const AddMemberMutation = gql<
  { addProjectMember: { id: string; members: UserRef[] } },
  { input: { projectId: string; userId: string } }
>(`
  mutation AddProjectMember($input: AddProjectMemberInput!) {
    addProjectMember(input: $input) { id members { id username displayName role } }
  }
`);
export const RemoveMemberMutation = gql<
  { removeProjectMember: { id: string; members: UserRef[] } },
  { input: { projectId: string; userId: string } }
>(`
  mutation RemoveProjectMember($input: RemoveProjectMemberInput!) {
    removeProjectMember(input: $input) { id members { id username displayName role } }
  }
`);

export const UpdateProfileMutation = gql<
  { updateProfile: SessionUser },
  { input: { displayName?: string; email?: string } }
>(`
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) { id username email displayName role }
  }
`);
export const ChangePasswordMutation = gql<
  { changePassword: boolean },
  { input: { currentPassword: string; newPassword: string } }
>(`
  mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) }
`);

export interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  role: Role;
}
export const UsersQuery = gql<
  { users: Connection<AdminUser> },
  { first: number; after?: string | null; filter?: { role?: Role; search?: string } }
>(`
  query Users($first: Int, $after: String, $filter: UserFilter) {
    users(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id username email displayName role } }
    }
  }
`);
export const SetUserRoleMutation = gql<
  { setUserRole: { id: string; role: Role } },
  { input: { userId: string; role: Role } }
>(`
  mutation SetUserRole($input: SetUserRoleInput!) { setUserRole(input: $input) { id role } }
`);
