/**
 * Two tabs of one console session in a real Chromium (test/helpers/chromium.ts), with 3-second
 * access tokens: both tabs keep working through many expiries, an admin's change of the user's
 * role and a live feed whose socket closes at every expiry, without signing each other out.
 * Refresh tokens are single-use and a reused one revokes the session, so the test also checks
 * that no refresh token was sent twice and that the session is still alive at the end.
 */
import type { BrowserContext, Locator, Page, Request } from 'playwright-core';
import { useConsoleBrowser } from '../helpers/console-browser';
import { loginAdmin, ok, signUp } from '../helpers/people';

// Seconds (the users service's ACCESS_TOKEN_TTL_SECONDS): `exp` counts whole seconds, so a token
// lives 2 to 3 s, and the console refreshes at half its remaining life, about every 1.5 s. Shorter
// lifetimes work too, but leave a busy machine's gateway too little time between a socket's
// connect and its subscribe, which it checks with the connection's token.
const ACCESS_TOKEN_TTL_SECONDS = 3;

jest.setTimeout(120_000);

const ui = useConsoleBrowser({
  env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL_SECONDS) },
});
let context: BrowserContext;

/** Every `refreshSession` call of the tabs, as the browser saw it. */
const refreshes = {
  /** The refresh tokens sent, in order. */
  sent: [] as string[],
  /** The refresh tokens the API answered with, in order; its errors. */
  issued: [] as string[],
  refused: [] as string[],
  /** Sent and not answered yet. */
  inFlight: new Set<Request>(),
  /** Held by the route that stops refreshing at the end: never reach the API. */
  held: new Set<Request>(),
};
const pageErrors: string[] = [];
/** connection_ack frames each tab's live socket received. */
const acks = new Map<Page, number>();

const isRefresh = (request: Request): boolean =>
  request.method() === 'POST' && (request.postData() ?? '').includes('refreshSession');

async function openTab(): Promise<Page> {
  const page = await context.newPage();
  // A signed-out tab shows the login page, and every wait below gives up after this long.
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
  page.on('websocket', (socket) =>
    socket.on('framereceived', (frame) => {
      if (String(frame.payload).includes('"connection_ack"'))
        acks.set(page, (acks.get(page) ?? 0) + 1);
    }),
  );
  page.on('request', (request) => {
    if (!isRefresh(request)) return;
    const { variables } = request.postDataJSON() as { variables: { refreshToken: string } };
    refreshes.sent.push(variables.refreshToken);
    if (!refreshes.held.has(request)) refreshes.inFlight.add(request);
  });
  page.on('requestfinished', (request) => {
    if (!refreshes.inFlight.has(request)) return;
    void (async () => {
      const body = (await (await request.response())?.json()) as {
        data?: { refreshSession?: { refreshToken: string } } | null;
        errors?: { message: string }[];
      };
      const issued = body.data?.refreshSession?.refreshToken;
      if (issued) refreshes.issued.push(issued);
      else refreshes.refused.push(JSON.stringify(body.errors));
      refreshes.inFlight.delete(request);
    })();
  });
  page.on('requestfailed', (request) => {
    if (refreshes.inFlight.delete(request))
      refreshes.refused.push(request.failure()?.errorText ?? '');
  });
  return page;
}

/** Polls `condition`; fails naming `what` when it is not met within 30 s. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited 30 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once `count` more refreshes than now were answered. */
function refreshesPass(count: number): Promise<void> {
  const target = refreshes.issued.length + count;
  return until(`${count} refreshes`, () => refreshes.issued.length >= target);
}

/** Waits for `target` in `page`; fails at once, saying why, when the tab shows the login page. */
async function reach(page: Page, target: Locator): Promise<Locator> {
  const login = page.getByRole('button', { name: 'Log in' });
  await target.or(login).first().waitFor();
  if (await login.isVisible()) {
    throw new Error(`the tab was signed out: ${await page.locator('body').innerText()}`);
  }
  return target;
}

/** One tab at work: My work, the project list, the project page, each with its queries done. */
async function workRound(page: Page, projectName: string, taskTitle: string): Promise<void> {
  await (await reach(page, page.getByRole('link', { name: 'My work' }))).click();
  await reach(page, page.getByText(taskTitle));
  await (await reach(page, page.getByRole('link', { name: 'Projects', exact: true }))).click();
  await (await reach(page, page.getByRole('link', { name: projectName }))).click();
  await reach(page, page.getByRole('heading', { level: 1, name: projectName }));
}

/** Keeps the tab working until `done` settles; rejects when it rejects. */
async function workUntil(done: Promise<void>, ...round: Parameters<typeof workRound>) {
  let settled = false;
  const outcome = done.then(
    () => {
      settled = true;
    },
    (error: unknown) => {
      settled = true;
      return error;
    },
  );
  while (!settled) await workRound(...round);
  const error = await outcome;
  if (error) throw error;
}

it('keeps two tabs of one session signed in over many token expiries and a role change', async () => {
  // Every admin call logs in afresh: an access token lasts three seconds here.
  const member = await signUp(ui.graph, await loginAdmin(ui.graph), 'MEMBER', 'tabs');
  const projectName = `Tabs ${member.username}`;
  const taskTitle = `Review for ${member.username}`;
  const { createProject } = await ok<{ createProject: { id: string } }>(
    ui.graph,
    await loginAdmin(ui.graph),
    'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
    { input: { name: projectName, status: 'ACTIVE' } },
  );
  const projectId = createProject.id;
  await ok(
    ui.graph,
    await loginAdmin(ui.graph),
    'mutation ($input: AddProjectMemberInput!) { addProjectMember(input: $input) { id } }',
    { input: { projectId, userId: member.id } },
  );
  await ok(
    ui.graph,
    await loginAdmin(ui.graph),
    'mutation ($input: CreateTaskInput!) { createTask(input: $input) { id } }',
    { input: { projectId, title: taskTitle, assigneeId: member.id } },
  );

  // Logs in in one tab; a second tab of the same browser resumes the same session.
  context = await ui.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const first = await openTab();
  await first.goto(`${ui.origin}/#/login`);
  await first.getByLabel('Username or email').fill(member.username);
  await first.getByLabel('Password').fill(member.password);
  await first.getByRole('button', { name: 'Log in' }).click();
  await first.getByRole('navigation', { name: 'Main' }).waitFor();
  const second = await openTab();
  await second.goto(`${ui.origin}/#/`);
  await second.getByText('(member)').waitFor();

  // Both tabs at work while the access token expires again and again.
  const expiries = refreshesPass(6);
  await Promise.all([
    workUntil(expiries, first, projectName, taskTitle),
    workUntil(expiries, second, projectName, taskTitle),
  ]);

  // An admin makes the user a manager: their current access token is refused from now on; the
  // tabs refresh and carry on with the new role.
  const promoted = await ok<{ setUserRole: { role: string } }>(
    ui.graph,
    await loginAdmin(ui.graph),
    'mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) { role } }',
    { input: { userId: member.id, role: 'MANAGER' } },
  );
  expect(promoted.setUserRole.role).toBe('MANAGER');
  const afterPromotion = refreshesPass(4);
  await Promise.all([
    workUntil(afterPromotion, first, projectName, taskTitle),
    workUntil(afterPromotion, second, projectName, taskTitle),
  ]);
  for (const page of [first, second]) {
    await reach(page, page.getByRole('navigation', { name: 'Main' }).getByText('(manager)'));
  }

  // Both tabs stay on the project page: its live socket closes at every token expiry (4401) and
  // connects again with the tabs' newest token, which the gateway accepts.
  await Promise.all(
    [first, second].map((page) =>
      reach(page, page.getByRole('heading', { level: 1, name: projectName })),
    ),
  );
  const acked = new Map([first, second].map((page) => [page, acks.get(page) ?? 0]));
  await until('the live sockets to reconnect', () =>
    [first, second].every((page) => (acks.get(page) ?? 0) >= (acked.get(page) ?? 0) + 2),
  );
  for (const page of [first, second]) {
    await reach(page, page.getByRole('navigation', { name: 'Main' }).getByText('(manager)'));
  }

  // The tabs shared one chain of refresh tokens: none was sent twice, every one was answered
  // with new tokens, and the last one still works once the tabs are closed (a reused one would
  // have revoked the session). The tabs' next refreshes are held so that the last stays theirs.
  await context.route('**/graphql', async (route) => {
    if (!isRefresh(route.request())) return route.continue();
    refreshes.held.add(route.request());
    refreshes.inFlight.delete(route.request());
  });
  await until('the last refreshes', () => refreshes.inFlight.size === 0);
  const last = refreshes.issued.at(-1);
  await context.close();
  expect(refreshes.refused).toEqual([]);
  expect(new Set(refreshes.sent).size).toBe(refreshes.sent.length);
  const refreshed = await ui.graph.query<{
    refreshSession: { accessToken: string; user: { role: string } };
  }>('mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken user { role } } }', {
    t: last,
  });
  expect(refreshed.body.errors).toBeUndefined();
  expect(refreshed.body.data?.refreshSession.user.role).toBe('MANAGER');
  const me = await ui.graph.query<{ me: { username: string } }>(
    '{ me { username } }',
    {},
    {
      authorization: `Bearer ${refreshed.body.data?.refreshSession.accessToken ?? ''}`,
    },
  );
  expect(me.body.data?.me.username).toBe(member.username);
  expect(pageErrors).toEqual([]);
});
