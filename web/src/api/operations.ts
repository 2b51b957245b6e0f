/**
 * Every operation the console sends, typed by GraphQL Code Generator (generated.ts) from
 * operations.graphql and the supergraph; the names here are what the pages import.
 */
import { stringifyDocument } from 'urql';
import type {
  BoardTaskFieldsFragment,
  DocumentAccessLogQuery as DocumentAccessLogResult,
  DocumentFieldsFragment,
  DocumentFileFieldsFragment,
  MyWorkQuery as MyWorkResult,
  ProjectQuery as ProjectResult,
  ProjectStatus,
  ProjectsQuery as ProjectsResult,
  ProjectsQueryVariables,
  StatusUpdateFieldsFragment,
  TaskPriority,
  UserRefFragment,
  UsersQuery as UsersResult,
  AuthFieldsFragment,
  TimeEntryFieldsFragment,
  TimesheetFieldsFragment,
  TimerFieldsFragment,
  TimesheetStatus,
  TimesheetsToApproveQuery as TimesheetsToApproveResult,
  ProjectTimeQuery as ProjectTimeResult,
  WeekTotalsFragment,
  NotificationFieldsFragment,
} from './generated';
import {
  AddProjectMemberDocument,
  AssignTaskDocument,
  ChangePasswordDocument,
  CompleteDocumentUploadDocument,
  CreateDocumentDocument,
  CreateDocumentUploadDocument,
  CreateProjectDocument,
  CreateTaskDocument,
  DeleteTaskDocument,
  DocumentAccessLogDocument,
  DocumentDownloadDocument,
  DocumentVersionsDocument,
  ProjectDocumentsDocument,
  LoginDocument,
  LogoutAllDocument,
  LogoutDocument,
  MyWorkDocument,
  PostStatusUpdateDocument,
  ProjectDocument,
  ProjectsDocument,
  RefreshSessionDocument,
  RemoveProjectMemberDocument,
  SetTaskStatusDocument,
  SetUserRoleDocument,
  ShareDocumentDocument,
  SignUpDocument,
  StatusUpdatedDocument,
  TaskChangedDocument,
  UnshareDocumentDocument,
  UpdateProfileDocument,
  UpdateTaskDocument,
  UsersDocument,
  MyTimeProjectsDocument,
  TimeWeekDocument,
  LogTimeDocument,
  UpdateTimeEntryDocument,
  DeleteTimeEntryDocument,
  SubmitTimesheetDocument,
  RunningTimerDocument,
  StartTimerDocument,
  StopTimerDocument,
  TimesheetsToApproveDocument,
  ApproveTimesheetDocument,
  RejectTimesheetDocument,
  ProjectTimeDocument,
  ProjectTimeReportDocument,
  ProjectBurnDocument,
  UtilizationDocument,
  SetProjectBudgetDocument,
  SetBillingRateDocument,
  UnreadNotificationCountDocument,
  NotificationsDocument,
  MarkNotificationsReadDocument,
  NotificationReceivedDocument,
} from './generated';

export type { ProjectStatus, TaskPriority, TimesheetStatus } from './generated';

export const PROJECT_STATUSES: readonly ProjectStatus[] = [
  'PLANNED',
  'ACTIVE',
  'ON_HOLD',
  'COMPLETED',
  'CANCELLED',
];
export const TASK_PRIORITIES: readonly TaskPriority[] = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

export type AuthPayload = AuthFieldsFragment;
export type SessionUser = AuthFieldsFragment['user'];
export type UserRef = UserRefFragment;
export type MyTask = NonNullable<MyWorkResult['me']>['assignedTasks']['edges'][number]['node'];
export type ProjectListItem = ProjectsResult['projects']['edges'][number]['node'];
export type ProjectFilter = NonNullable<ProjectsQueryVariables['filter']>;
export type ProjectOrder = NonNullable<ProjectsQueryVariables['orderBy']>;
export type BoardTask = BoardTaskFieldsFragment;
export type StatusUpdateItem = StatusUpdateFieldsFragment;
export type ProjectDetail = NonNullable<ProjectResult['project']>;
export type DocumentItem = DocumentFieldsFragment;
export type DocumentFileItem = DocumentFileFieldsFragment;
export type AccessLogEntry = NonNullable<
  DocumentAccessLogResult['document']
>['accessLog']['edges'][number]['node'];
export type TimeEntryItem = TimeEntryFieldsFragment;
export type TimesheetItem = TimesheetFieldsFragment;
export type TimerItem = TimerFieldsFragment;
export type SheetToApprove =
  TimesheetsToApproveResult['timesheetsToApprove']['edges'][number]['node'];
export type ProjectTime = NonNullable<ProjectTimeResult['project']>;
export type WeekTotals = WeekTotalsFragment;
export const TIMESHEET_STATUSES: readonly TimesheetStatus[] = [
  'OPEN',
  'SUBMITTED',
  'APPROVED',
  'REJECTED',
];
export type NotificationItem = NotificationFieldsFragment;
export type AdminUser = UsersResult['users']['edges'][number]['node'];

export const LoginMutation = LoginDocument;
export const SignUpMutation = SignUpDocument;
/**
 * As text: refresh-session.ts posts it with fetch, outside urql. urql's printer, so that the
 * bundle does not carry graphql-js's.
 */
export const REFRESH_SESSION = stringifyDocument(RefreshSessionDocument);
export const LogoutMutation = LogoutDocument;
export const LogoutAllMutation = LogoutAllDocument;
export const MyWorkQuery = MyWorkDocument;
export const SetTaskStatusMutation = SetTaskStatusDocument;
export const ProjectsQuery = ProjectsDocument;
export const CreateProjectMutation = CreateProjectDocument;
export const ProjectQuery = ProjectDocument;
export const StatusUpdatedSubscription = StatusUpdatedDocument;
export const TaskChangedSubscription = TaskChangedDocument;
export const PostStatusUpdateMutation = PostStatusUpdateDocument;
export const CreateTaskMutation = CreateTaskDocument;
export const UpdateTaskMutation = UpdateTaskDocument;
export const AssignTaskMutation = AssignTaskDocument;
export const DeleteTaskMutation = DeleteTaskDocument;
export const AddMemberMutation = AddProjectMemberDocument;
export const RemoveMemberMutation = RemoveProjectMemberDocument;
export const CreateDocumentMutation = CreateDocumentDocument;
export const ShareDocumentMutation = ShareDocumentDocument;
export const UnshareDocumentMutation = UnshareDocumentDocument;
export const DocumentAccessLogQuery = DocumentAccessLogDocument;
export const CreateDocumentUploadMutation = CreateDocumentUploadDocument;
export const CompleteDocumentUploadMutation = CompleteDocumentUploadDocument;
export const DocumentDownloadQuery = DocumentDownloadDocument;
export const DocumentVersionsQuery = DocumentVersionsDocument;
export const ProjectDocumentsQuery = ProjectDocumentsDocument;
export const UpdateProfileMutation = UpdateProfileDocument;
export const ChangePasswordMutation = ChangePasswordDocument;
export const UsersQuery = UsersDocument;
export const SetUserRoleMutation = SetUserRoleDocument;
export const MyTimeProjectsQuery = MyTimeProjectsDocument;
export const TimeWeekQuery = TimeWeekDocument;
export const LogTimeMutation = LogTimeDocument;
export const UpdateTimeEntryMutation = UpdateTimeEntryDocument;
export const DeleteTimeEntryMutation = DeleteTimeEntryDocument;
export const SubmitTimesheetMutation = SubmitTimesheetDocument;
export const RunningTimerQuery = RunningTimerDocument;
export const StartTimerMutation = StartTimerDocument;
export const StopTimerMutation = StopTimerDocument;
export const TimesheetsToApproveQuery = TimesheetsToApproveDocument;
export const ApproveTimesheetMutation = ApproveTimesheetDocument;
export const RejectTimesheetMutation = RejectTimesheetDocument;
export const ProjectTimeQuery = ProjectTimeDocument;
export const ProjectTimeReportQuery = ProjectTimeReportDocument;
export const ProjectBurnQuery = ProjectBurnDocument;
export const UtilizationQuery = UtilizationDocument;
export const SetProjectBudgetMutation = SetProjectBudgetDocument;
export const SetBillingRateMutation = SetBillingRateDocument;
export const UnreadNotificationCountQuery = UnreadNotificationCountDocument;
export const NotificationsQuery = NotificationsDocument;
export const MarkNotificationsReadMutation = MarkNotificationsReadDocument;
export const NotificationReceivedSubscription = NotificationReceivedDocument;
