/**
 * What every browser test of the console sets up: the whole graph serving the built console at
 * `/`, one headless Chromium (test/helpers/chromium.ts), fresh contexts (one person each) whose
 * script errors, console errors and failed responses are collected, signing in through the login
 * page, and screenshots into test/browser/screenshots/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { ensureConsoleBuilt, WEB_DIST } from '../../scripts/console-build';
import { launchChromium } from './chromium';
import { startGraph, type Graph, type GraphOptions } from './graph';
import type { Person } from './people';

export const SCREENSHOTS = path.join(__dirname, '..', 'browser', 'screenshots');

export interface ConsoleBrowser {
  /** The graph (started in `beforeAll`). */
  readonly graph: Graph;
  readonly browser: Browser;
  /** The gateway's origin, where the console is served. */
  readonly origin: string;
  /** Every page error, console error and HTTP status ≥ 400 seen by any page: `[]` at the end. */
  readonly pageErrors: string[];
  /** A fresh context (its own storage, so its own session, as another person) with one page. */
  openPage(options?: BrowserContextOptions): Promise<Page>;
  /** Signs `person` in on the login page and waits for the console's navigation. */
  logIn(page: Page, person: Pick<Person, 'username' | 'password'>): Promise<void>;
  /** A full-page screenshot named `<name>.png`. */
  shoot(page: Page, name: string): Promise<void>;
}

/**
 * Registers the `beforeAll` that starts the graph (with `options`, the console's WEB_DIR added)
 * and the browser, and the `afterAll` that closes them; call it once at the top of a test file.
 */
export function useConsoleBrowser(options: GraphOptions = {}): ConsoleBrowser {
  let graph: Graph | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Jest's global setup built it; this only builds when run under another config.
    const failure = ensureConsoleBuilt();
    if (failure !== null) throw new Error(`web build failed:\n${failure}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    graph = await startGraph({
      ...options,
      gatewayEnv: { ...options.gatewayEnv, WEB_DIR: WEB_DIST },
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await graph?.stop();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started (beforeAll failed?)`);
    return value;
  };

  const ui: ConsoleBrowser = {
    get graph() {
      return started(graph, 'the graph');
    },
    get browser() {
      return started(browser, 'the browser');
    },
    get origin() {
      return started(graph, 'the graph').gatewayUrl.replace(/\/graphql$/, '');
    },
    pageErrors,
    async openPage(contextOptions = {}) {
      const context = await ui.browser.newContext({
        viewport: { width: 1280, height: 900 },
        ...contextOptions,
      });
      contexts.push(context);
      const page = await context.newPage();
      // A script error or a CSP violation in the console fails the test at the end.
      page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      page.on('response', (response) => {
        if (response.status() >= 400)
          pageErrors.push(
            `${response.status()} ${response.url()} ${response.request().postData() ?? ''}`.trim(),
          );
      });
      return page;
    },
    async logIn(page, person) {
      await page.goto(`${ui.origin}/#/login`);
      await page.getByLabel('Username or email').fill(person.username);
      await page.getByLabel('Password').fill(person.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    },
    async shoot(page, name) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
  return ui;
}
