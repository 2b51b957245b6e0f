import {
  budgetThreshold,
  projectTimeApproved,
  GROUPS,
  STREAMS,
  toObjectId,
  type OutboxRelay,
} from '@psa/shared';
import { trusted } from 'mongoose';
import type { BillingRateModel, BillingRateRecord } from './models/billing-rate.model';
import {
  BUDGET_THRESHOLDS,
  type ProjectLedgerModel,
  type ProjectLedgerRecord,
} from './models/project-ledger.model';
import { percentOf, priceOf, sumOf } from './money';

/** The outbox topic of "the project's time or budget changed": `{projectId, actorId, rearm?}`. */
export const BUDGET_CHECK = 'budget.check';

/** The outbox topic of "a timesheet of the project was approved": `{projectId}`. */
export const TIME_APPROVED = 'time.approved';

/** Where a threshold's state is kept in a ledger (`thresholds.at80`). */
export const thresholdKey = (threshold: number): string => `at${threshold}`;

/**
 * What a project's billable time is worth at its rates now: each user's billable minutes at their
 * rate (or the project's default), rounded per user, summed. Null without a currency or a rate.
 */
export function spentAmountOf(
  ledger: Pick<ProjectLedgerRecord, 'currency' | 'billableByUser'>,
  rates: readonly BillingRateRecord[],
): string | null {
  const { currency } = ledger;
  if (!currency || rates.length === 0) return null;
  const fallback = rates.find((rate) => rate.userId === null);
  const amounts = Object.entries(ledger.billableByUser ?? {}).flatMap(([userId, minutes]) => {
    const rate = rates.find((r) => r.userId?.toHexString() === userId) ?? fallback;
    return rate ? [priceOf(minutes, rate.hourlyRate, currency)] : [];
  });
  return sumOf(amounts, currency);
}

/**
 * How much of the budget is used, a percentage rounded to one decimal: of the minutes when a
 * minutes budget is set, else of the amount; null without a budget (or rates, for an amount).
 */
export function percentUsedOf(
  ledger: ProjectLedgerRecord,
  rates: readonly BillingRateRecord[],
): number | null {
  if (ledger.budgetMinutes) return percentOf(ledger.totalMinutes, ledger.budgetMinutes);
  if (!ledger.budgetAmount) return null;
  const spent = spentAmountOf(ledger, rates);
  return spent === null ? null : percentOf(spent, ledger.budgetAmount);
}

/**
 * The relay of {@link BUDGET_CHECK}: from the project's current totals, announces each threshold
 * (80%, 100%) that is reached and still armed, as `budget.threshold`. Disarming is atomic (armed →
 * disarmed, counting the crossing), so however many writers and redeliveries relay the same
 * change, one announces each crossing. With `rearm` (a budget was set), a threshold no longer
 * reached is armed again, so the next crossing is announced too.
 */
export function budgetCheckRelay(
  ledgers: ProjectLedgerModel,
  rates: BillingRateModel,
): OutboxRelay {
  return async (data) => {
    const projectId = toObjectId(String(data.projectId));
    const actorId = toObjectId(String(data.actorId));
    if (!projectId || !actorId) return [];
    const ledger = await ledgers.findById(projectId).lean<ProjectLedgerRecord>().exec();
    if (!ledger) return [];
    const projectRates = await rates.find({ projectId }).lean<BillingRateRecord[]>().exec();
    const percentUsed = percentUsedOf(ledger, projectRates);
    const events = [];
    for (const threshold of BUDGET_THRESHOLDS) {
      const key = `thresholds.${thresholdKey(threshold)}`;
      if (percentUsed === null || percentUsed < threshold) {
        if (data.rearm === true) {
          await ledgers
            .updateOne(
              { _id: projectId, [`${key}.armed`]: false },
              { $set: { [`${key}.armed`]: true } },
            )
            .exec();
        }
        continue;
      }
      const disarmed = await ledgers
        .findOneAndUpdate(
          { _id: projectId, [`${key}.armed`]: trusted({ $ne: false }) },
          { $set: { [`${key}.armed`]: false }, $inc: { [`${key}.crossings`]: 1 } },
          { returnDocument: 'after' },
        )
        .lean<ProjectLedgerRecord>()
        .exec();
      const crossing = disarmed?.thresholds[thresholdKey(threshold)]?.crossings;
      if (!crossing) continue;
      events.push({
        stream: STREAMS.time,
        type: budgetThreshold.type,
        data: {
          projectId: projectId.toHexString(),
          threshold,
          percentUsed,
          crossing,
          actorId: actorId.toHexString(),
        },
      });
    }
    return events;
  };
}

/**
 * The relay of {@link TIME_APPROVED}: tells the projects service that the project holds approved
 * time (so it refuses to delete it), and waits until it knows before the approval returns.
 */
export const timeApprovedRelay: OutboxRelay = async (data) => {
  const projectId = toObjectId(String(data.projectId));
  if (!projectId) return [];
  return [
    {
      stream: STREAMS.time,
      type: projectTimeApproved.type,
      data: { projectId: projectId.toHexString() },
      awaitGroups: [GROUPS.projects],
    },
  ];
};
