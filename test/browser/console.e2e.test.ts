/**
 * The web console in a real Chromium (test/helpers/chromium.ts: Debian's package through
 * playwright-core, no browser download), against the whole graph serving the built console at
 * `/`: a manager signs up and is promoted by the admin, creates a project, adds a member and a
 * task; the member, in a second browser context, sees the task and moves it; the manager's status
 * update reaches the member's feed live; the explorer runs `{ me { username } }`. Screenshots of
 * the main pages go to test/browser/screenshots/ (git-ignored).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOTS, useConsoleBrowser } from '../helpers/console-browser';
import { loginAdmin, type Person } from '../helpers/people';

jest.setTimeout(180_000);

const ui = useConsoleBrowser();
const { openPage, logIn, shoot, pageErrors } = ui;
const suffix = Math.random().toString(36).slice(2, 8);

async function signUpInBrowser(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${ui.origin}/#/signup`);
  await page.getByLabel('Username (3–32 of a-z 0-9 _ . -)').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Display name (optional)').fill(username.replace(/-.*/, ' ').trim());
  await page.getByLabel('Password (15–256 characters)').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

it('runs the manager and member scenario in Chromium, live', async () => {
  const admin: Person = await loginAdmin(ui.graph);
  const managerName = `manager-${suffix}`;
  const memberName = `member-${suffix}`;
  const password = 'a long enough password 1';

  // The manager signs up in the console; the seeded admin promotes them.
  const manager = await openPage();
  await signUpInBrowser(manager, managerName, password);
  await shoot(manager, 'my-work');
  const found = await ui.graph.query<{ users: { edges: { node: { id: string } }[] } }>(
    'query ($s: String) { users(first: 1, filter: { search: $s }) { edges { node { id } } } }',
    { s: managerName },
    admin.headers,
  );
  const managerId = found.body.data?.users.edges[0]?.node.id;
  expect(managerId).toBeDefined();
  const promoted = await ui.graph.query(
    'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { role } }',
    { input: { userId: managerId, role: 'MANAGER' } },
    admin.headers,
  );
  expect(promoted.body.errors).toBeUndefined();

  // The member signs up too (through the API), then logs in in a second browser context.
  const signedUp = await ui.graph.query<{ signUp: { user: { id: string } } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } } }',
    { input: { username: memberName, email: `${memberName}@example.com`, password } },
  );
  const memberId = signedUp.body.data?.signUp.user.id;
  expect(memberId).toBeDefined();

  // The role change ended the old access token; a reload resumes the session with a new one.
  await manager.reload();
  await manager.getByText('(manager)').waitFor();

  // Creates a project.
  await manager.getByRole('link', { name: 'Projects' }).click();
  await manager.getByText('New project').click();
  const projectForm = manager.getByRole('form', { name: 'New project' });
  await projectForm.getByLabel('Name').fill(`Website relaunch ${suffix}`);
  await projectForm.getByLabel('Description').fill('Q1 relaunch of the public site');
  await projectForm.getByLabel('Status').selectOption('ACTIVE');
  await projectForm.getByRole('button', { name: 'Create project' }).click();
  await manager.getByRole('heading', { level: 1, name: `Website relaunch ${suffix}` }).waitFor();
  const projectUrl = manager.url();

  // Adds the member and a task assigned to them.
  // The picker searches the directory as the manager types; the keyboard picks the match.
  const addMember = manager.getByRole('form', { name: 'Add a member' });
  const person = addMember.getByRole('combobox', { name: 'Person' });
  await person.fill(`member-${suffix}`);
  await addMember.getByRole('option', { name: new RegExp(memberName) }).waitFor();
  await person.press('ArrowDown');
  await person.press('Enter');
  expect(await person.inputValue()).toBe(memberName);
  await addMember.getByRole('button', { name: 'Add member' }).click();
  await manager.getByRole('region', { name: 'Members' }).getByText(memberName).waitFor();
  await manager.getByText('New task').click();
  const taskForm = manager.getByRole('form', { name: 'New task' });
  await taskForm.getByLabel('Title').fill('Wireframes');
  await taskForm.getByLabel('Description').fill('Home and product pages');
  await taskForm.getByLabel('Due date').fill('2030-12-01');
  await taskForm.getByLabel('Priority').selectOption('HIGH');
  await taskForm.getByLabel('Assignee').selectOption({ label: memberName });
  await taskForm.getByRole('button', { name: 'Create task' }).click();
  const todo = manager.getByRole('region', { name: /^To do/ });
  await todo.getByText('Wireframes').waitFor();

  // The member, in a second context, sees the task and starts it.
  const member = await openPage();
  await logIn(member, { username: memberName, password });
  await member
    .getByRole('link', { name: 'Wireframes' })
    .or(member.getByText('Wireframes'))
    .first()
    .waitFor();
  await member.goto(projectUrl);
  const memberTodo = member.getByRole('region', { name: /^To do/ });
  await memberTodo.getByText('Wireframes').waitFor();
  // Drag and drop: a drop the workflow refuses is explained on the card; an allowed one moves it.
  const card = memberTodo.getByRole('listitem').filter({ hasText: 'Wireframes' });
  await card.dragTo(member.getByRole('region', { name: /^Done/ }));
  await card
    .getByRole('alert')
    .getByText('the workflow does not go from To do to Done', { exact: false })
    .waitFor();
  await card.dragTo(member.getByRole('region', { name: /^In progress/ }));
  await member
    .getByRole('region', { name: /^In progress/ })
    .getByText('Wireframes')
    .waitFor();
  // The manager's board follows live (taskChanged).
  await manager
    .getByRole('region', { name: /^In progress/ })
    .getByText('Wireframes')
    .waitFor();

  // The manager posts a status update; the member's feed shows it without a reload.
  const message = `Kick-off done ${suffix}`;
  const post = manager.getByRole('form', { name: 'Post a status update' });
  await post.getByLabel('Update').fill(message);
  await post.getByRole('button', { name: 'Post update' }).click();
  await member.getByRole('region', { name: 'Status updates' }).getByText(message).waitFor();
  // The manager edits the task and adds a document; as its owner, they see its access log.
  const managerCard = manager
    .getByRole('region', { name: /^In progress/ })
    .getByRole('listitem')
    .filter({ hasText: 'Wireframes' });
  await managerCard.getByRole('button', { name: 'Edit “Wireframes”' }).click();
  const edit = managerCard.getByRole('form', { name: 'Edit “Wireframes”' });
  await edit.getByLabel('Title').fill('Wireframes v2');
  await edit.getByRole('button', { name: 'Save task' }).click();
  await member
    .getByRole('region', { name: /^In progress/ })
    .getByText('Wireframes v2')
    .waitFor();
  await manager.getByText('New document').click();
  const doc = manager.getByRole('form', { name: 'New document' });
  await doc.getByLabel('Title').fill('Statement of work');
  await doc.getByLabel('Link (URL of the file)').fill('https://files.example.com/sow.pdf');
  await doc.getByRole('button', { name: 'Add document' }).click();
  const docs = manager.getByRole('region', { name: 'Documents' });
  await docs.getByRole('link', { name: 'Statement of work' }).waitFor();
  // Shared with the member through the same picker (the owner and those it is shared with are left out).
  const share = docs.getByRole('form', { name: 'Share “Statement of work”' });
  await share.getByRole('combobox', { name: 'Share with' }).fill(memberName.slice(0, 10));
  await share.getByRole('option', { name: new RegExp(memberName) }).click();
  await share.getByRole('button', { name: 'Share' }).click();
  await docs.getByText(`shared with ${memberName}`).waitFor();
  await docs.getByRole('button', { name: 'Access log' }).click();
  await docs.getByRole('table').getByText('view').first().waitFor();
  // A second task, then the forms folded away, for the screenshots.
  await taskForm.getByLabel('Title').fill('Copy for the home page');
  await taskForm.getByLabel('Assignee').selectOption({ label: 'Nobody' });
  await taskForm.getByRole('button', { name: 'Create task' }).click();
  await todo.getByText('Copy for the home page').waitFor();
  await manager.getByText('New task').click();
  await manager.getByText('New document').click();
  await shoot(manager, 'project');
  await manager
    .getByRole('region', { name: 'Tasks' })
    .screenshot({ path: path.join(SCREENSHOTS, 'board.png') });
  await shoot(member, 'project-member');
  await member.setViewportSize({ width: 390, height: 844 });
  await shoot(member, 'project-phone');

  await manager.getByRole('link', { name: 'Projects' }).click();
  // In the page, not in the header timer's project list.
  await manager.getByRole('main').getByText(`Website relaunch ${suffix}`).waitFor();
  await shoot(manager, 'projects');

  // The explorer runs `{ me { username } }` with the manager's token.
  await manager.getByRole('link', { name: 'API explorer' }).click();
  const editor = manager.locator('.graphiql-query-editor .CodeMirror');
  await editor.waitFor();
  // The editor is CodeMirror 5: set its text through its API (typing would auto-close braces).
  // A string, since this file is type-checked without the DOM library.
  await manager.evaluate(
    `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ me { username } }')`,
  );
  await manager.getByRole('button', { name: /Execute query/ }).click();
  await manager.locator('.result-window').getByText(managerName).waitFor();
  await shoot(manager, 'explorer');

  // Logged out everywhere from elsewhere: the project page's live socket closes with 4403 and
  // the console returns to the login page saying why.
  const acknowledged = new Promise<void>((resolve) => {
    manager.on('websocket', (socket) =>
      socket.on('framereceived', (frame) => {
        if (String(frame.payload).includes('connection_ack')) resolve();
      }),
    );
  });
  // Reloaded so that the socket's acknowledgement is seen: the header's bell has kept one open
  // since login.
  await manager.goto(projectUrl);
  await manager.reload();
  await manager.getByRole('region', { name: 'Status updates' }).waitFor();
  await acknowledged;
  const elsewhere = await ui.graph.query<{ login: { accessToken: string } }>(
    'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
    { input: { login: managerName, password } },
  );
  const token = elsewhere.body.data?.login.accessToken ?? '';
  const all = await ui.graph.query(
    'mutation { logoutAll }',
    {},
    { authorization: `Bearer ${token}` },
  );
  expect(all.body.errors).toBeUndefined();
  await manager
    .getByText('Your session ended (you logged out elsewhere', { exact: false })
    .waitFor();
  await manager.getByRole('button', { name: 'Log in' }).waitFor();
  await shoot(manager, 'session-ended');

  expect(pageErrors).toEqual([]);
});
