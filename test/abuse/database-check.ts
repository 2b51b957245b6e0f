/**
 * Reads every document of every service database and checks it against the service's mongoose
 * models: schema validation (types, required fields, enums) and no field the model does not know.
 */
import type { Connection, Model } from 'mongoose';
import { connectMongo, silentLogger } from '@psa/shared';
import { outboxModel } from '../../shared/src/events/outbox';
import { projectAccessModel } from '../../shared/src/events/project-access-read-model';
import { notificationModel } from '../../services/notifications/src/models/notification.model';
import { taskScheduleModel } from '../../services/notifications/src/models/task-schedule.model';
import { accessLogModel } from '../../services/documents/src/models/access-log.model';
import { documentModel } from '../../services/documents/src/models/document.model';
import { projectModel } from '../../services/projects/src/models/project.model';
import { statusUpdateModel } from '../../services/projects/src/models/status-update.model';
import { taskEventModel } from '../../services/tasks/src/models/task-event.model';
import { taskProgressModel } from '../../services/tasks/src/models/task-progress.model';
import { taskModel } from '../../services/tasks/src/models/task.model';
import { billingRateModel } from '../../services/time/src/models/billing-rate.model';
import { dayTotalModel } from '../../services/time/src/models/day-total.model';
import { projectDayModel } from '../../services/time/src/models/project-day.model';
import { projectLedgerModel } from '../../services/time/src/models/project-ledger.model';
import { projectMonthModel } from '../../services/time/src/models/project-month.model';
import { projectTaskModel } from '../../services/time/src/models/project-task.model';
import { timeEntryModel } from '../../services/time/src/models/time-entry.model';
import { timerModel } from '../../services/time/src/models/timer.model';
import { timesheetModel } from '../../services/time/src/models/timesheet.model';
import { sessionModel } from '../../services/users/src/models/session.model';
import { userModel } from '../../services/users/src/models/user.model';
import type { Graph } from '../helpers/graph';

type ModelFactory = (connection: Connection) => Model<Record<string, unknown>>;

/** The models of each service's database (the outbox is every service's). */
const MODELS: Record<keyof Graph['databases'], ModelFactory[]> = {
  users: [userModel, sessionModel, projectAccessModel, outboxModel] as unknown as ModelFactory[],
  projects: [projectModel, statusUpdateModel, outboxModel] as unknown as ModelFactory[],
  tasks: [
    taskModel,
    taskEventModel,
    taskProgressModel,
    projectAccessModel,
    outboxModel,
  ] as unknown as ModelFactory[],
  documents: [
    documentModel,
    accessLogModel,
    projectAccessModel,
    outboxModel,
  ] as unknown as ModelFactory[],
  time: [
    timeEntryModel,
    timesheetModel,
    timerModel,
    billingRateModel,
    projectLedgerModel,
    dayTotalModel,
    projectDayModel,
    projectMonthModel,
    projectTaskModel,
    projectAccessModel,
    outboxModel,
  ] as unknown as ModelFactory[],
  notifications: [
    notificationModel,
    taskScheduleModel,
    projectAccessModel,
  ] as unknown as ModelFactory[],
};

/** Collections a library keeps in its own shape (the reminder scheduler's jobs). */
const LIBRARY_COLLECTIONS = new Set(['notifications.reminder_jobs']);

export interface DatabaseReport {
  /** Documents read, by `database.collection`. */
  counts: Record<string, number>;
  /** Every invalid document: where, its id, and why. */
  problems: string[];
}

/** Why `doc` does not fit `model`, or null. */
async function documentProblem(
  model: Model<Record<string, unknown>>,
  doc: Record<string, unknown>,
): Promise<string | null> {
  const unknown = Object.keys(doc).filter(
    (key) => key !== '__v' && model.schema.pathType(key) === 'adhocOrUndefined',
  );
  if (unknown.length) return `fields the model does not know: ${unknown.join(', ')}`;
  try {
    await new model(doc).validate();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Checks every document in the graph's databases. */
export async function checkDatabases(graph: Graph, mongoUrl: string): Promise<DatabaseReport> {
  const report: DatabaseReport = { counts: {}, problems: [] };
  for (const [service, factories] of Object.entries(MODELS)) {
    const dbName = graph.databases[service as keyof Graph['databases']];
    const handle = connectMongo({ url: mongoUrl, dbName, logger: silentLogger() });
    try {
      await handle.whenConnected();
      const models = new Map(
        factories.map((factory) => {
          const model = factory(handle.connection);
          return [model.collection.collectionName, model] as const;
        }),
      );
      const db = handle.connection.getClient().db(dbName);
      for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
        const docs = await db.collection(name).find({}).toArray();
        report.counts[`${service}.${name}`] = docs.length;
        const model = models.get(name);
        if (LIBRARY_COLLECTIONS.has(`${service}.${name}`)) continue;
        if (!model) {
          if (docs.length) report.problems.push(`${service}.${name}: a collection no model owns`);
          continue;
        }
        for (const doc of docs) {
          const problem = await documentProblem(model, doc as Record<string, unknown>);
          if (problem) report.problems.push(`${service}.${name} ${String(doc._id)}: ${problem}`);
        }
      }
    } finally {
      await handle.close();
    }
  }
  return report;
}
