import path from 'node:path';
import {
  announceRelay,
  ANNOUNCE_TOPIC,
  createEventBus,
  createVerifierKeySet,
  Outbox,
  outboxModel,
  ProjectAccess,
  projectAccessModel,
  startSubgraphService,
  type EventBus,
  type Logger,
  type SubgraphService,
} from '@psa/shared';
import DataLoader from 'dataloader';
import { trusted } from 'mongoose';
import {
  BUDGET_CHECK,
  budgetCheckRelay,
  TIME_APPROVED,
  timeApprovedRelay,
} from './budget-automation';
import type { TimeConfig } from './config';
import type { TimeContext } from './context';
import { billingRateModel } from './models/billing-rate.model';
import { dayTotalModel } from './models/day-total.model';
import { projectDayModel } from './models/project-day.model';
import { projectMonthModel } from './models/project-month.model';
import { projectTaskModel } from './models/project-task.model';
import { projectLedgerModel } from './models/project-ledger.model';
import { timeEntryModel } from './models/time-entry.model';
import { timerModel, type TimerRecord } from './models/timer.model';
import { timesheetModel, type TimesheetRecord } from './models/timesheet.model';
import { timeEventHandlers } from './project-access-handlers';
import { timeResolvers } from './resolvers/time.resolver';
import { rebuildRollupsIfMissing } from './rollups';
import { DAY_MINUTES, TimeDomain, weekKey, type TimeStores, type WeekLoader } from './time-domain';

export { loadTimeConfig, type TimeConfig } from './config';
export type { SubgraphService } from '@psa/shared';

/** What the time service can be given instead of building it from configuration. */
export interface TimeServiceDeps {
  /** Domain events. Default: Redis at REDIS_URL when set, else this process's own bus. */
  events?: EventBus;
}

/** Timesheets by entry week (`<userId>:<projectId>:<weekStart>`), batched per request. */
function createWeekLoader(stores: Pick<TimeStores, 'sheets'>): WeekLoader {
  return new DataLoader(async (keys) => {
    const weeks = keys.map((key) => {
      const [userId, projectId, weekStart] = key.split(':');
      return { userId, projectId, weekStart };
    });
    const found = await stores.sheets.find({ $or: weeks }).lean<TimesheetRecord[]>().exec();
    const byKey = new Map(found.map((s) => [weekKey(s.userId, s.projectId, s.weekStart), s]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/**
 * Starts the time subgraph: connects to its database (in the background, retrying) and serves
 * GraphQL. Resolves once it listens. Who may see a project comes from `project.access-changed`
 * events, kept in a local read model (`project_access`); budget thresholds and approvals are
 * announced through an outbox. Timers left running past 24 hours are stopped by a sweep.
 */
export function startTimeService(
  config: TimeConfig,
  logger: Logger,
  deps: TimeServiceDeps = {},
): Promise<SubgraphService> {
  const events = createEventBus(config, logger, 'time', deps.events);
  let sweep: NodeJS.Timeout | null = null;
  let reportsReady = false;
  return startSubgraphService<TimeContext>({
    name: 'time',
    serviceRoot: path.resolve(__dirname, '..'),
    resolvers: timeResolvers,
    config,
    port: config.TIME_PORT,
    dbName: config.TIME_DB,
    keySet: createVerifierKeySet(config, logger),
    events,
    logger,
    setup: (connection, metrics) => {
      const entries = timeEntryModel(connection);
      const sheets = timesheetModel(connection);
      const timers = timerModel(connection);
      const rates = billingRateModel(connection);
      const ledgers = projectLedgerModel(connection);
      const dayTotals = dayTotalModel(connection);
      const projectDays = projectDayModel(connection);
      const projectMonths = projectMonthModel(connection);
      const projectTasks = projectTaskModel(connection);
      const accessRecords = projectAccessModel(connection);
      const outboxEntries = outboxModel(connection);
      const access = new ProjectAccess(accessRecords);
      const outbox = new Outbox(
        outboxEntries,
        events,
        {
          [BUDGET_CHECK]: budgetCheckRelay(ledgers, rates),
          [TIME_APPROVED]: timeApprovedRelay,
          [ANNOUNCE_TOPIC]: announceRelay,
        },
        { logger, ackTimeoutMs: config.EVENT_ACK_TIMEOUT_MS, published: metrics.eventsPublished },
      );
      const stores: TimeStores = {
        entries,
        sheets,
        timers,
        rates,
        ledgers,
        dayTotals,
        projectDays,
        projectMonths,
        projectTasks,
        access,
        accessRecords,
        outbox,
        capacityMinutesPerWeekday: config.TIME_CAPACITY_MINUTES_PER_WEEKDAY,
      };
      const stopExpiredTimers = async (): Promise<void> => {
        const expired = await timers
          .find({ startedAt: trusted({ $lte: new Date(Date.now() - DAY_MINUTES * 60_000) }) })
          .limit(100)
          .lean<TimerRecord[]>()
          .exec();
        const domain = new TimeDomain(stores, access.createLoader(), createWeekLoader(stores));
        for (const timer of expired) {
          const stopped = await domain.stopTimerRecord(
            timer,
            new Date(timer.startedAt.getTime() + DAY_MINUTES * 60_000),
          );
          if ('refusal' in stopped) {
            logger.warn(
              { timerId: timer._id.toHexString() },
              'discarded a timer that could not be logged',
            );
          }
        }
      };
      return {
        models: [
          entries,
          sheets,
          timers,
          rates,
          ledgers,
          dayTotals,
          projectDays,
          projectMonths,
          projectTasks,
          accessRecords,
          outboxEntries,
        ],
        consumers: timeEventHandlers({
          entries,
          sheets,
          timers,
          rates,
          ledgers,
          dayTotals,
          projectDays,
          projectMonths,
          projectTasks,
          access,
          logger,
        }),
        outbox,
        initialize: async () => {
          const rebuilt = await rebuildRollupsIfMissing(stores);
          if (rebuilt)
            logger.info(rebuilt, "built the reports' day and month rows from the entries");
          reportsReady = true;
          sweep = setInterval(() => {
            stopExpiredTimers().catch((error: unknown) =>
              logger.error({ err: error }, 'stopping expired timers failed'),
            );
          }, config.TIME_TIMER_SWEEP_MS);
          sweep.unref();
        },
        // The reports are exact once their roll-ups are (built before this is true).
        readiness: () => ({ reports: reportsReady }),
        dispose: async () => {
          if (sweep) clearInterval(sweep);
        },
        context: (base) => {
          const projectAccess = access.createLoader();
          const week = createWeekLoader(stores);
          return {
            ...base,
            loaders: { projectAccess, week },
            domain: new TimeDomain(stores, projectAccess, week),
          };
        },
      };
    },
  });
}
