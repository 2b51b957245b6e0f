/**
 * The console's Time screen in a real Chromium (test/helpers/chromium.ts) against the whole graph
 * serving the built console: a member types hours into this week's grid (a bad value and a refused
 * one are explained), submits it; the manager finds it in the approval queue and rejects it with a
 * reason; the member sees the reason, changes the week and submits again; the manager approves and
 * the member's week shows it approved and locked. The header's timer survives a reload (its state is
 * the server's) and stops into an entry. Screenshots go to test/browser/screenshots/ (git-ignored).
 */
import type { Page } from 'playwright-core';
import { ADD_MEMBER, CREATE_PROJECT } from '../helpers/operations';
import { useConsoleBrowser } from '../helpers/console-browser';
import { loginAdmin, ok, signUp } from '../helpers/people';

jest.setTimeout(240_000);

const ui = useConsoleBrowser();
const { logIn, shoot, pageErrors } = ui;
/** A fresh context (its own session) in UTC, so that "today" is the server's day too. */
const openPage = (): Promise<Page> => ui.openPage({ timezoneId: 'UTC' });

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** This ISO week's Monday (UTC) and a grid column label such as "Mon 30 Nov". */
function thisWeek(): { monday: string; label: (offset: number) => string } {
  const today = new Date();
  const mondayMs = Date.UTC(
    today.getUTCFullYear(),
    today.getUTCMonth(),
    today.getUTCDate() - ((today.getUTCDay() + 6) % 7),
  );
  const label = (offset: number) => {
    const d = new Date(mondayMs + offset * 86_400_000);
    const month = d.toLocaleString('en', { month: 'short', timeZone: 'UTC' });
    return `${DAY_NAMES[offset]} ${d.getUTCDate()} ${month}`;
  };
  return { monday: new Date(mondayMs).toISOString().slice(0, 10), label };
}

/** Types `hours` into a cell and leaves it; waits until the console says it is saved. */
async function typeHours(page: Page, cell: string, hours: string): Promise<void> {
  const input = page.getByLabel(cell, { exact: true });
  await input.fill(hours);
  await input.press('Tab');
  await page.getByRole('status').getByText(`Saved ${cell}.`).waitFor();
}

it('a member logs and submits a week; the manager rejects, then approves it', async () => {
  const admin = await loginAdmin(ui.graph);
  const manager = await signUp(ui.graph, admin, 'MANAGER', 'timemgr');
  const member = await signUp(ui.graph, admin, 'MEMBER', 'timemem');
  const suffix = member.username.slice(-6);
  const projectName = `Billing portal ${suffix}`;
  const created = await ok<{ createProject: { id: string } }>(ui.graph, manager, CREATE_PROJECT, {
    input: { name: projectName, status: 'ACTIVE' },
  });
  const projectId = created.createProject.id;
  await ok(ui.graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
  await ok(
    ui.graph,
    manager,
    'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
    { input: { projectId, title: 'Invoices API' } },
  );
  const { label } = thisWeek();
  const monday = `Invoices API, ${label(0)}`;
  const tuesday = `Invoices API, ${label(1)}`;

  // The member opens Time: the week grid of their (only) project, this week.
  const page = await openPage();
  await logIn(page, member);
  await page.getByRole('link', { name: 'Time', exact: true }).click();
  await page.getByRole('heading', { name: new RegExp(`^${projectName}: week of`) }).waitFor();
  await page.getByTestId('week-status').getByText('Open').waitFor();

  // A value that is not hours is explained on the spot and sends nothing; one the API refuses
  // (over 24 hours) shows the API's message naming the field.
  await page.getByLabel(monday, { exact: true }).fill('abc');
  await page.getByLabel(monday, { exact: true }).press('Tab');
  await page.getByRole('alert').getByText('is not a number of hours', { exact: false }).waitFor();
  await page.getByLabel(monday, { exact: true }).fill('25');
  await page.getByLabel(monday, { exact: true }).press('Tab');
  const refused = page.getByRole('alert').filter({ hasText: `Could not save ${monday}` });
  await refused.getByText('(input.minutes)', { exact: false }).first().waitFor();
  expect(await refused.locator('[data-code]').first().getAttribute('data-code')).toBe(
    'BAD_USER_INPUT',
  );

  await typeHours(page, monday, '2.5');
  await typeHours(page, tuesday, '1:30');
  await page.getByTestId('week-total').getByText('4 h').waitFor();
  expect(await page.getByRole('alert').count()).toBe(0);
  await shoot(page, 'time-week');

  await page.getByRole('button', { name: 'Submit week' }).click();
  await page.getByTestId('week-status').getByText('Submitted').waitFor();
  expect(await page.getByLabel(monday, { exact: true }).isDisabled()).toBe(true);

  // The manager sees it waiting and rejects it with a reason.
  const boss = await openPage();
  await logIn(boss, manager);
  await boss.getByRole('link', { name: 'Time', exact: true }).click();
  const queue = boss.getByRole('region', { name: /^To approve/ });
  const card = queue.getByRole('listitem').filter({ hasText: projectName });
  await card.getByText('4 h (4 h billable)', { exact: false }).waitFor();
  await card.getByRole('row').filter({ hasText: 'Invoices API' }).first().waitFor();
  await shoot(boss, 'time-approvals');
  await card.getByLabel('Reason').fill('Tuesday belongs to the support contract');
  await card.getByRole('button', { name: 'Reject' }).click();
  await queue.getByText('No timesheet waits for your decision.').waitFor();

  // The member sees the rejection and its reason, changes Tuesday and submits again.
  await page.reload();
  await page.getByTestId('week-status').getByText('Rejected').waitFor();
  await page.getByText('Tuesday belongs to the support contract', { exact: false }).waitFor();
  await typeHours(page, tuesday, '');
  await page.getByTestId('week-total').getByText('2.5 h').waitFor();
  await page.getByRole('button', { name: 'Submit again' }).click();
  await page.getByTestId('week-status').getByText('Submitted').waitFor();

  // The manager approves; the member's week is approved and locked.
  await boss.reload();
  const again = boss
    .getByRole('region', { name: /^To approve/ })
    .getByRole('listitem')
    .filter({ hasText: projectName });
  await again.getByText('2.5 h (2.5 h billable)', { exact: false }).waitFor();
  await again.getByRole('button', { name: 'Approve' }).click();
  await boss.getByText('No timesheet waits for your decision.').waitFor();
  await page.reload();
  await page.getByTestId('week-status').getByText('Approved').waitFor();
  await page.getByText('This week is approved', { exact: false }).waitFor();
  expect(await page.getByLabel(tuesday, { exact: true }).isDisabled()).toBe(true);

  // On the project page the manager sets a budget in hours and a default rate, and sees the burn
  // chart with its 80% and 100% lines and the member in the utilization chart.
  await boss.goto(`${ui.origin}/#/projects/${projectId}`);
  const panel = boss.getByRole('region', { name: 'Time and budget' });
  await panel.getByText('No budget is set.').waitFor();
  const budget = panel.getByRole('form', { name: 'Budget' });
  await budget.getByLabel('Hours (empty: none)').fill('5');
  await budget.getByRole('button', { name: 'Save budget' }).click();
  await panel
    .getByTestId('budget-summary')
    .getByText('2.5 h of 5 h used (50%)', { exact: false })
    .waitFor();
  const rate = panel.getByRole('form', { name: 'Set an hourly rate' });
  await rate.getByLabel('Per hour').fill('120');
  await rate.getByLabel('Currency').fill('EUR');
  await rate.getByRole('button', { name: 'Set rate' }).click();
  await panel
    .getByRole('table', { name: 'Hourly rates' })
    .getByRole('row', { name: /Default \(everyone else\)/ })
    .getByText('120.00 EUR/h')
    .waitFor();
  const burn = panel.getByTestId('burn-chart');
  await burn.locator('text', { hasText: '100%' }).waitFor();
  await burn.locator('text', { hasText: '80%' }).waitFor();
  const utilization = panel.getByTestId('utilization-chart');
  await utilization.locator('text', { hasText: member.username }).waitFor();
  await utilization.locator('text', { hasText: 'Capacity' }).waitFor();
  await shoot(boss, 'time-project');

  // What the browser showed is what the API holds.
  const sheets = await ok<{
    me: { timesheets: { edges: { node: { status: string; totalMinutes: number } }[] } };
  }>(
    ui.graph,
    member,
    'query ($p: ID) { me { timesheets(filter: { projectId: $p }) { edges { node { status totalMinutes } } } } }',
    { p: projectId },
  );
  expect(sheets.me.timesheets.edges.map((e) => e.node)).toEqual([
    { status: 'APPROVED', totalMinutes: 150 },
  ]);
  expect(pageErrors).toEqual([]);
});

it('runs the header timer from the server: it survives a reload and stops into an entry', async () => {
  const admin = await loginAdmin(ui.graph);
  const member = await signUp(ui.graph, admin, 'MEMBER', 'timer');
  const project = await ok<{ createProject: { id: string } }>(ui.graph, admin, CREATE_PROJECT, {
    input: { name: `Internal ${member.username}`, status: 'ACTIVE' },
  });
  await ok(ui.graph, admin, ADD_MEMBER, {
    input: { projectId: project.createProject.id, userId: member.id },
  });

  const page = await openPage();
  await logIn(page, member);
  const timer = page.getByRole('form', { name: 'Timer' });
  await timer.getByLabel('Timer project').selectOption({ label: `Internal ${member.username}` });
  await timer.getByRole('button', { name: 'Start timer' }).click();
  const running = page.getByRole('group', { name: 'Timer' });
  await running.getByText(`Internal ${member.username}`, { exact: false }).waitFor();

  await page.reload();
  await running.getByTestId('timer-elapsed').waitFor();
  await running.getByRole('button', { name: 'Stop timer' }).click();
  await page
    .getByRole('status')
    .getByText(new RegExp(`^Logged 0:0\\d on Internal ${member.username}\\.$`))
    .waitFor();

  const entries = await ok<{ me: { timeEntries: { edges: { node: { minutes: number } }[] } } }>(
    ui.graph,
    member,
    '{ me { timeEntries { edges { node { minutes } } } } }',
  );
  // Rounded up to whole minutes, at least 1 (more only if this machine was slow between the clicks).
  const minutes = entries.me.timeEntries.edges.map((e) => e.node.minutes);
  expect(minutes).toHaveLength(1);
  expect(minutes[0]).toBeGreaterThanOrEqual(1);
  expect(pageErrors).toEqual([]);
});
