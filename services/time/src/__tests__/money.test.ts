/** Rates, budgets, reports and utilization over HTTP: exact money, for managers only. */
import { budgetThreshold } from '@psa/shared';
import { eventually, randomId } from '@psa/shared/testing';
import { addDays } from '../calendar';
import {
  DELETE,
  errorOf,
  mondayOf,
  PROJECT_BUDGET,
  PROJECT_MONEY,
  PROJECT_RATES,
  ref,
  REPORT,
  REPORT_MONEY,
  SET_BUDGET,
  SET_RATE,
  useTimeHarness,
  TASK_MINUTES,
  UTILIZATION,
  type ProjectFixture,
} from './time-harness';

const harness = useTimeHarness({ env: { TIME_CAPACITY_MINUTES_PER_WEEKDAY: '420' } });

const setRate = (
  project: ProjectFixture,
  input: Record<string, unknown>,
  headers = harness.as(project, 'manager'),
) =>
  harness.gql(SET_RATE, { input: { projectId: project.id, currency: 'EUR', ...input } }, headers);

const setBudget = (
  project: ProjectFixture,
  input: Record<string, unknown>,
  headers = harness.as(project, 'manager'),
) =>
  harness.gql<{ setProjectBudget: Record<string, unknown> }>(
    SET_BUDGET,
    { input: { projectId: project.id, ...input } },
    headers,
  );

interface ReportMoney {
  billableAmount: { amount: string; currency: string } | null;
  byUser: { user: { id: string }; billableAmount: { amount: string } | null }[];
}

const reportMoney = async (project: ProjectFixture, from: string, to: string) =>
  (
    await harness.ok<{ _entities: { timeReport: ReportMoney }[] }>(
      REPORT_MONEY,
      { representations: ref('Project', project.id), from, to },
      harness.as(project, 'manager'),
    )
  )._entities[0]!.timeReport;

describe('billing rates', () => {
  it('set the default and a member rate, exact, in one currency per project', async () => {
    const project = await harness.newProject();
    expect((await setRate(project, { hourlyRate: '120' })).data).toEqual({
      setBillingRate: { user: null, hourlyRate: { amount: '120.00', currency: 'EUR' } },
    });
    expect(
      (await setRate(project, { userId: project.memberIds[0], hourlyRate: '99.99' })).data,
    ).toEqual({
      setBillingRate: {
        user: { id: project.memberIds[0] },
        hourlyRate: { amount: '99.99', currency: 'EUR' },
      },
    });
    expect(errorOf(await setRate(project, { hourlyRate: '100', currency: 'USD' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.currency',
    });
    const rates = await harness.ok<{ _entities: { billingRates: unknown[] }[] }>(
      PROJECT_RATES,
      { representations: ref('Project', project.id) },
      harness.auth('ADMIN'),
    );
    expect(rates._entities[0]?.billingRates).toHaveLength(2);
  });

  it.each([
    ['a float-looking rate with too many decimals', { hourlyRate: '10.005' }, 'input.hourlyRate'],
    ['a negative rate', { hourlyRate: '-1' }, 'input.hourlyRate'],
    ['a rate that is no number', { hourlyRate: 'ten' }, 'input.hourlyRate'],
    ['an unknown currency', { hourlyRate: '10', currency: 'XYZ' }, 'input.currency'],
    ['a user who is not on the project', { hourlyRate: '10', userId: randomId() }, 'input.userId'],
  ])('refuse %s (BAD_USER_INPUT naming the field)', async (_label, input, field) => {
    const project = await harness.newProject();
    expect(errorOf(await setRate(project, input))).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('follow the minor unit of the currency (JPY has none, KWD three)', async () => {
    const yen = await harness.newProject();
    expect((await setRate(yen, { hourlyRate: '1500', currency: 'jpy' })).data).toEqual({
      setBillingRate: { user: null, hourlyRate: { amount: '1500', currency: 'JPY' } },
    });
    expect(errorOf(await setRate(yen, { hourlyRate: '1500.5', currency: 'JPY' })).code).toBe(
      'BAD_USER_INPUT',
    );
    const dinar = await harness.newProject();
    expect((await setRate(dinar, { hourlyRate: '12.345', currency: 'KWD' })).data).toEqual({
      setBillingRate: { user: null, hourlyRate: { amount: '12.345', currency: 'KWD' } },
    });
  });

  it("are the manager's and admins': a member gets FORBIDDEN, an outsider NOT_FOUND", async () => {
    const project = await harness.newProject();
    expect(errorOf(await setRate(project, { hourlyRate: '1' }, harness.as(project, 0))).code).toBe(
      'FORBIDDEN',
    );
    expect(errorOf(await setRate(project, { hourlyRate: '1' }, harness.auth('MANAGER'))).code).toBe(
      'NOT_FOUND',
    );
    const rates = await harness.gql(
      PROJECT_RATES,
      { representations: ref('Project', project.id) },
      harness.as(project, 0),
    );
    expect(errorOf(rates).code).toBe('FORBIDDEN');
  });
});

describe('timeReport', () => {
  it('sums per user and prices each row, rounded half-even to the minor unit', async () => {
    const project = await harness.newProject();
    const [alice, bob] = project.memberIds as [string, string];
    // 7 minutes at 10.00/h = 1.1666… → 1.17; 3 minutes at 2.50/h = 0.125 → 0.12 (half-even).
    await setRate(project, { hourlyRate: '10' });
    await setRate(project, { userId: bob, hourlyRate: '2.50' });
    const week = mondayOf(1);
    await harness.log(project, { date: week, minutes: 7 }, harness.as(project, 0));
    await harness.log(
      project,
      { date: week, minutes: 30, billable: false },
      harness.as(project, 0),
    );
    await harness.log(project, { date: addDays(week, 1), minutes: 3 }, harness.as(project, 1));
    await harness.log(project, { date: mondayOf(3), minutes: 600 }, harness.as(project, 1));
    const report = await harness.ok<{
      _entities: {
        timeReport: { totalMinutes: number; billableMinutes: number; byUser: unknown[] };
      }[];
    }>(
      REPORT,
      { representations: ref('Project', project.id), from: week, to: addDays(week, 6) },
      harness.as(project, 'manager'),
    );
    expect(report._entities[0]?.timeReport).toEqual({
      from: week,
      to: addDays(week, 6),
      totalMinutes: 40,
      billableMinutes: 10,
      byUser: [
        { user: { id: alice }, totalMinutes: 37, billableMinutes: 7 },
        { user: { id: bob }, totalMinutes: 3, billableMinutes: 3 },
      ].sort((a, b) => a.user.id.localeCompare(b.user.id)),
    });
    const money = await reportMoney(project, week, addDays(week, 6));
    const amountOf = (id: string) =>
      money.byUser.find((row) => row.user.id === id)?.billableAmount?.amount;
    expect(amountOf(alice)).toBe('1.17');
    expect(amountOf(bob)).toBe('0.12');
    expect(money.billableAmount).toEqual({ amount: '1.29', currency: 'EUR' });
  });

  it('gives a member their own row and FORBIDDEN on the amounts; a CLIENT FORBIDDEN', async () => {
    const project = await harness.newProject();
    await setRate(project, { hourlyRate: '10' });
    await harness.log(project, {}, harness.as(project, 0));
    await harness.log(project, {}, harness.as(project, 1));
    const range = {
      representations: ref('Project', project.id),
      from: mondayOf(1),
      to: addDays(mondayOf(1), 6),
    };
    const own = await harness.ok<{
      _entities: { timeReport: { byUser: { user: { id: string } }[] } }[];
    }>(REPORT, range, harness.as(project, 0));
    expect(own._entities[0]?.timeReport.byUser.map((row) => row.user.id)).toEqual([
      project.memberIds[0],
    ]);
    const money = await harness.gql(REPORT_MONEY, range, harness.as(project, 0));
    expect(errorOf(money).code).toBe('FORBIDDEN');
    expect(JSON.stringify(money.data)).not.toMatch(/10\.00|\d+\.\d\d/);
    const client = await harness.gql(REPORT, range, harness.as(project, 1, 'CLIENT'));
    expect(errorOf(client).code).toBe('FORBIDDEN');
  });

  it('refuses a range that ends before it starts or spans over 366 days', async () => {
    const project = await harness.newProject();
    for (const [from, to] of [
      [mondayOf(1), mondayOf(2)],
      [mondayOf(60), mondayOf(0)],
    ]) {
      const body = await harness.gql(
        REPORT,
        { representations: ref('Project', project.id), from, to },
        harness.as(project, 'manager'),
      );
      expect(errorOf(body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    }
  });
});

describe('budgets', () => {
  it('count all logged time and announce 80% and 100% once each, again after a raise', async () => {
    const project = await harness.newProject();
    expect((await setBudget(project, { minutes: 600 })).data?.setProjectBudget).toMatchObject({
      minutes: 600,
      spentMinutes: 0,
      percentUsed: 0,
    });
    const crossings = () =>
      harness.published
        .filter(
          (event) => event.type === budgetThreshold.type && event.data.projectId === project.id,
        )
        .map((event) => [event.data.threshold, event.data.crossing]);
    await harness.log(project, { minutes: 400 });
    await harness.log(project, { date: addDays(mondayOf(1), 1), minutes: 100, billable: false });
    await eventually(() => JSON.stringify(crossings()) === JSON.stringify([[80, 1]]));
    const budget = await harness.ok<{ _entities: { budget: Record<string, unknown> }[] }>(
      PROJECT_BUDGET,
      { representations: ref('Project', project.id) },
      harness.as(project, 1),
    );
    expect(budget._entities[0]?.budget).toEqual({
      minutes: 600,
      spentMinutes: 500,
      billableMinutes: 400,
      percentUsed: 83.3,
    });
    const entry = await harness.log(project, { date: addDays(mondayOf(1), 2), minutes: 100 });
    await eventually(
      () =>
        JSON.stringify(crossings()) ===
        JSON.stringify([
          [80, 1],
          [100, 1],
        ]),
    );
    // Below and above again without a new budget: nothing more is announced.
    await harness.ok(DELETE, { id: entry.id }, harness.as(project, 0));
    await harness.log(project, { date: addDays(mondayOf(1), 3), minutes: 100 });
    // A raise re-arms both; crossing 80% of the new budget is announced as a second crossing.
    await setBudget(project, { minutes: 1000 });
    await harness.log(project, { date: addDays(mondayOf(1), 4), minutes: 250 });
    await eventually(
      () =>
        JSON.stringify(crossings()) ===
        JSON.stringify([
          [80, 1],
          [100, 1],
          [80, 2],
        ]),
    );
    expect(crossings()).toEqual([
      [80, 1],
      [100, 1],
      [80, 2],
    ]);
  });

  it('in money: amount and spent amount for the manager, FORBIDDEN for members', async () => {
    const project = await harness.newProject();
    await setRate(project, { hourlyRate: '100' });
    const set = await setBudget(project, { amount: '1000' });
    expect(set.data?.setProjectBudget).toMatchObject({
      amount: { amount: '1000.00', currency: 'EUR' },
      spentAmount: { amount: '0.00', currency: 'EUR' },
      percentUsed: 0,
    });
    await harness.log(project, { minutes: 90 });
    const manager = await harness.ok<{ _entities: { budget: Record<string, unknown> }[] }>(
      PROJECT_MONEY,
      { representations: ref('Project', project.id) },
      harness.as(project, 'manager'),
    );
    expect(manager._entities[0]?.budget).toEqual({
      amount: { amount: '1000.00', currency: 'EUR' },
      spentAmount: { amount: '150.00', currency: 'EUR' },
    });
    const member = await harness.gql(
      PROJECT_MONEY,
      { representations: ref('Project', project.id) },
      harness.as(project, 0),
    );
    expect(errorOf(member).code).toBe('FORBIDDEN');
    expect(JSON.stringify(member.data)).not.toContain('1000');
  });

  it.each([
    ['0 minutes', { minutes: 0 }, 'input.minutes'],
    ['an amount without a currency', { amount: '100' }, 'input.currency'],
    ['an amount of 0', { amount: '0', currency: 'EUR' }, 'input.amount'],
    ['an amount with too many decimals', { amount: '1.001', currency: 'EUR' }, 'input.amount'],
  ])('refuse %s (BAD_USER_INPUT naming the field)', async (_label, input, field) => {
    const project = await harness.newProject();
    expect(errorOf(await setBudget(project, input))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field,
    });
  });

  it('are set by the manager and admins; a CLIENT reads none', async () => {
    const project = await harness.newProject();
    expect(errorOf(await setBudget(project, { minutes: 60 }, harness.as(project, 0))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await setBudget(project, { minutes: 60 }, harness.auth('ADMIN'))).errors,
    ).toBeUndefined();
    const client = await harness.gql(
      PROJECT_BUDGET,
      { representations: ref('Project', project.id) },
      harness.as(project, 1, 'CLIENT'),
    );
    expect(errorOf(client).code).toBe('FORBIDDEN');
  });
});

describe('utilization and Task.timeSpentMinutes', () => {
  it('compare logged and billable minutes with the configured capacity per weekday', async () => {
    const project = await harness.newProject();
    const week = mondayOf(2);
    await harness.log(project, { date: week, minutes: 420 });
    await harness.log(project, { date: addDays(week, 1), minutes: 210, billable: false });
    const data = await harness.ok<{ _entities: { utilization: Record<string, unknown> }[] }>(
      UTILIZATION,
      { representations: ref('User', project.memberIds[0]!), from: week, to: addDays(week, 6) },
      harness.as(project, 0),
    );
    expect(data._entities[0]?.utilization).toEqual({
      from: week,
      to: addDays(week, 6),
      capacityMinutes: 5 * 420,
      totalMinutes: 630,
      billableMinutes: 420,
      billableRatio: 0.2,
    });
    const other = await harness.gql(
      UTILIZATION,
      { representations: ref('User', project.memberIds[0]!), from: week, to: week },
      harness.as(project, 'manager'),
    );
    expect(errorOf(other).code).toBe('FORBIDDEN');
  });

  it('sum the minutes of a task for those who may read its project', async () => {
    const project = await harness.newProject();
    const taskId = await harness.publishTask(project);
    await harness.log(project, { taskId, minutes: 20 }, harness.as(project, 0));
    await harness.log(project, { taskId, minutes: 25 }, harness.as(project, 1));
    const read = (headers: Record<string, string>) =>
      harness.ok<{ _entities: { timeSpentMinutes: number }[] }>(
        TASK_MINUTES,
        { representations: ref('Task', taskId) },
        headers,
      );
    expect((await read(harness.as(project, 1)))._entities[0]?.timeSpentMinutes).toBe(45);
    expect((await read(harness.auth('MEMBER')))._entities[0]?.timeSpentMinutes).toBe(0);
  });
});
