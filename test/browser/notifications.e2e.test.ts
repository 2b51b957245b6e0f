/**
 * The console's notifications in a real Chromium (test/helpers/chromium.ts) against the whole
 * graph serving the built console: a member is signed in in one context with the bell at 0; the
 * manager, in another context, creates a task assigned to them, and the member's bell counts up to
 * 1 without a reload (Subscription.notificationReceived over graphql-ws). The member opens the
 * notifications page: the entry says what happened and links to the task's project; "Mark all
 * read" takes the bell back to 0. Screenshots go to test/browser/screenshots/ (git-ignored).
 */
import path from 'node:path';
import { ADD_MEMBER, CREATE_PROJECT } from '../helpers/operations';
import { SCREENSHOTS, useConsoleBrowser } from '../helpers/console-browser';
import { eventually, loginAdmin, ok, signUp, type Person } from '../helpers/people';

jest.setTimeout(240_000);

const ui = useConsoleBrowser();
const { openPage, logIn, pageErrors } = ui;

async function unreadCount(person: Person): Promise<number> {
  const data = await ok<{ me: { unreadNotificationCount: number } }>(
    ui.graph,
    person,
    '{ me { unreadNotificationCount } }',
  );
  return data.me.unreadNotificationCount;
}

it("a manager assigns a task and the member's bell counts up live; mark all read", async () => {
  const admin = await loginAdmin(ui.graph);
  const manager = await signUp(ui.graph, admin, 'MANAGER', 'bellmgr');
  const member = await signUp(ui.graph, admin, 'MEMBER', 'bellmem');
  const projectName = `Intranet ${member.username.slice(-6)}`;
  const created = await ok<{ createProject: { id: string } }>(ui.graph, manager, CREATE_PROJECT, {
    input: { name: projectName, status: 'ACTIVE' },
  });
  const projectId = created.createProject.id;
  await ok(ui.graph, manager, ADD_MEMBER, { input: { projectId, userId: member.id } });
  // Being added is a notification too (MEMBER_ADDED): it arrives, and is read, before the test.
  await eventually(async () => (await unreadCount(member)) === 1, 20_000);
  await ok(ui.graph, member, 'mutation { markNotificationsRead(input: { all: true }) }');

  // The member is signed in with nothing unread. A mark on the window tells a reload apart.
  const mine = await openPage();
  await logIn(mine, member);
  await mine.evaluate(() => Object.assign(window, { notReloaded: true }));
  const bell = mine.getByRole('link', { name: /^Notifications, \d+ unread$/ });
  await mine.getByRole('link', { name: 'Notifications, 0 unread' }).waitFor();
  expect(await bell.getByTestId('unread-count').textContent()).toBe('0');

  // The manager, elsewhere, creates a task assigned to the member.
  const boss = await openPage();
  await logIn(boss, manager);
  await boss.goto(`${ui.origin}/#/projects/${projectId}`);
  await boss.getByRole('heading', { name: projectName }).waitFor();
  await boss.getByText('New task').click();
  const taskForm = boss.getByRole('form', { name: 'New task' });
  await taskForm.getByLabel('Title').fill('Staff directory');
  await taskForm.getByLabel('Assignee').selectOption({ label: member.username });
  await taskForm.getByRole('button', { name: 'Create task' }).click();
  await boss
    .getByRole('region', { name: /^To do/ })
    .getByText('Staff directory')
    .waitFor();

  // The member's bell counts up without a reload.
  await mine.getByRole('link', { name: 'Notifications, 1 unread' }).waitFor();
  expect(await mine.evaluate(() => 'notReloaded' in window)).toBe(true);
  await mine.screenshot({ path: path.join(SCREENSHOTS, 'notifications-bell.png') });

  // The page lists it with a link to the task's project; "Mark all read" takes the bell to 0.
  await bell.click();
  await mine.getByRole('heading', { name: 'Notifications' }).waitFor();
  const list = mine.getByRole('list', { name: 'Notifications' });
  const entry = list.getByRole('listitem').filter({ hasText: 'Staff directory' });
  await entry.getByText('You were assigned the task "Staff directory"').waitFor();
  await entry.getByText(manager.username, { exact: false }).waitFor();
  const link = entry.getByRole('link', { name: 'Task “Staff directory”' });
  expect(await link.getAttribute('href')).toBe(`#/projects/${projectId}`);
  await mine.screenshot({ path: path.join(SCREENSHOTS, 'notifications-page.png') });
  await mine.getByRole('button', { name: 'Mark all read' }).click();
  await mine.getByRole('link', { name: 'Notifications, 0 unread' }).waitFor();
  await entry.getByRole('button', { name: 'Mark read' }).waitFor({ state: 'detached' });
  expect(await unreadCount(member)).toBe(0);

  // The link opens the project with the task on its board.
  await link.click();
  await mine.getByRole('heading', { name: projectName }).waitFor();
  await mine
    .getByRole('region', { name: /^To do/ })
    .getByText('Staff directory')
    .waitFor();
  expect(await mine.evaluate(() => 'notReloaded' in window)).toBe(true);
  expect(pageErrors).toEqual([]);
});
