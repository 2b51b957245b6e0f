import {
  DateTimeScalar,
  projectReference,
  requireIdentity,
  taskReference,
  userReference,
} from '@psa/shared';
import type { Resolvers } from '../generated/resolvers-types';
import { DateScalar, DecimalScalar } from '../scalars';
import { assertMaySeeMoney } from '../time.policy';
import type { TimeContext } from '../context';
import type { BudgetView, TimeReportRowView, TimeReportView } from '../time-domain';

type Priced = BudgetView | TimeReportView | TimeReportRowView;

/** A money field of `view`: FORBIDDEN (the field alone) unless the caller may see the money. */
const guarded =
  <V extends Priced, K extends keyof V>(key: K) =>
  (view: V, _args: unknown, ctx: TimeContext): V[K] => {
    assertMaySeeMoney(requireIdentity(ctx.caller), view.access);
    return view[key];
  };

/** GraphQL resolvers of the time subgraph: they check who asks and delegate to the domain. */
export const timeResolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Date: DateScalar,
  Decimal: DecimalScalar,
  Query: {
    timeEntry: (_parent, { id }, ctx) => ctx.domain.visibleEntry(requireIdentity(ctx.caller), id),
    timesheet: (_parent, { id }, ctx) => ctx.domain.visibleSheet(requireIdentity(ctx.caller), id),
    timesheetsToApprove: (_parent, { first, after }, ctx) =>
      ctx.domain.sheetsToApprove(requireIdentity(ctx.caller), { first, after }),
  },
  Mutation: {
    logTime: (_parent, { input }, ctx) => ctx.domain.logTime(requireIdentity(ctx.caller), input),
    updateTimeEntry: (_parent, { input }, ctx) =>
      ctx.domain.updateTimeEntry(requireIdentity(ctx.caller), input),
    deleteTimeEntry: (_parent, { id }, ctx) =>
      ctx.domain.deleteTimeEntry(requireIdentity(ctx.caller), id),
    startTimer: (_parent, { input }, ctx) =>
      ctx.domain.startTimer(requireIdentity(ctx.caller), input),
    stopTimer: (_parent, _args, ctx) => ctx.domain.stopTimer(requireIdentity(ctx.caller)),
    submitTimesheet: (_parent, { input }, ctx) =>
      ctx.domain.submitTimesheet(requireIdentity(ctx.caller), input),
    approveTimesheet: (_parent, { input }, ctx) =>
      ctx.domain.approveTimesheet(requireIdentity(ctx.caller), input.timesheetId),
    rejectTimesheet: (_parent, { input }, ctx) =>
      ctx.domain.rejectTimesheet(requireIdentity(ctx.caller), input),
    setProjectBudget: (_parent, { input }, ctx) =>
      ctx.domain.setProjectBudget(requireIdentity(ctx.caller), input),
    setBillingRate: (_parent, { input }, ctx) =>
      ctx.domain.setBillingRate(requireIdentity(ctx.caller), input),
  },
  TimeEntry: {
    id: (entry) => entry._id.toHexString(),
    user: (entry) => userReference(entry.userId),
    project: (entry) => projectReference(entry.projectId),
    task: (entry) => (entry.taskId ? taskReference(entry.taskId) : null),
    status: (entry, _args, ctx) => ctx.domain.entryStatus(entry),
  },
  Timesheet: {
    id: (sheet) => sheet._id.toHexString(),
    user: (sheet) => userReference(sheet.userId),
    project: (sheet) => projectReference(sheet.projectId),
    entries: (sheet, _args, ctx) => ctx.domain.sheetEntries(sheet),
    totalMinutes: async (sheet, _args, ctx) => (await ctx.domain.sheetTotals(sheet)).total,
    billableMinutes: async (sheet, _args, ctx) => (await ctx.domain.sheetTotals(sheet)).billable,
    decidedBy: (sheet) => (sheet.decidedById ? userReference(sheet.decidedById) : null),
  },
  Timer: {
    id: (timer) => timer._id.toHexString(),
    user: (timer) => userReference(timer.userId),
    project: (timer) => projectReference(timer.projectId),
    task: (timer) => (timer.taskId ? taskReference(timer.taskId) : null),
  },
  BillingRate: {
    user: (rate) => (rate.userId ? userReference(rate.userId) : null),
    hourlyRate: (rate) => ({ amount: rate.hourlyRate, currency: rate.currency }),
  },
  ProjectBudget: {
    amount: guarded<BudgetView, 'amount'>('amount'),
    spentAmount: guarded<BudgetView, 'spentAmount'>('spentAmount'),
  },
  TimeReport: {
    billableAmount: guarded<TimeReportView, 'billableAmount'>('billableAmount'),
  },
  TimeReportRow: {
    user: (row) => userReference(row.userId),
    billableAmount: guarded<TimeReportRowView, 'billableAmount'>('billableAmount'),
  },
  Project: {
    // The projects subgraph owns projects: here a reference is its id, and the fields below check
    // that the caller may see the project's time (through the read model).
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    budget: (project, _args, ctx) => ctx.domain.budget(requireIdentity(ctx.caller), project.id),
    billingRates: (project, _args, ctx) =>
      ctx.domain.billingRates(requireIdentity(ctx.caller), project.id),
    timeEntries: (project, { first, after, filter }, ctx) =>
      ctx.domain.projectEntries(requireIdentity(ctx.caller), project.id, filter, { first, after }),
    timeReport: (project, { from, to }, ctx) =>
      ctx.domain.timeReport(requireIdentity(ctx.caller), project.id, from, to),
  },
  User: {
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    timeEntries: (user, { first, after, filter }, ctx) =>
      ctx.domain.userEntries(requireIdentity(ctx.caller), user.id, filter, { first, after }),
    timesheets: (user, { first, after, filter }, ctx) =>
      ctx.domain.userSheets(requireIdentity(ctx.caller), user.id, filter, { first, after }),
    runningTimer: (user, _args, ctx) =>
      ctx.domain.runningTimer(requireIdentity(ctx.caller), user.id),
    utilization: (user, { from, to }, ctx) =>
      ctx.domain.utilization(requireIdentity(ctx.caller), user.id, from, to),
  },
  Task: {
    __resolveReference: (reference, ctx) => {
      requireIdentity(ctx.caller);
      return { id: reference.id };
    },
    timeSpentMinutes: (task, _args, ctx) =>
      ctx.domain.taskMinutes(requireIdentity(ctx.caller), task.id),
  },
};
