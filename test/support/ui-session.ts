// What the live view's browser tests share: a fresh runcap (fake upstream, two virtual keys and an
// admin token), a headless Chromium page on it, calls through the proxy with the openai SDK, and
// the page's script errors and CSP violations collected for a final check.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api } from './budget-client.js';
import { launchChromium } from './browser.js';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.js';
import { startRuncap, type TestRuncap } from './runcap.js';

export const ADMIN = 'admin-token-for-the-ui-tests-0123';
export const ALICE = 'rc-ui-alice-key';
export const BOB = 'rc-ui-bob-key';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');

export interface UiSession {
  readonly runcap: TestRuncap;
  readonly page: Page;
  /** Script errors and console errors other than a fetch's own status line (CSP violations land here). */
  readonly problems: string[];
  /** A chat call through the proxy, as an agent makes it. */
  ask(key: string, runId: string, options?: AskOptions): Promise<OpenAI.Chat.Completions.ChatCompletion>;
  /** GET /budget/runs/{id} (or another budget API path) as the admin. */
  admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  signIn(token: string): Promise<void>;
  text(selector: string): Promise<string>;
  /** Save a full-page screenshot: docs/<name>, or .ui-shots/<name> for a check not committed. */
  shot(name: string, where: 'docs' | 'scratch'): Promise<void>;
  stop(): Promise<void>;
}

export interface AskOptions {
  readonly headers?: Record<string, string>;
  readonly model?: string;
  readonly maxTokens?: number;
}

export async function startUiSession(chromiumPath: string, timezoneId: string): Promise<UiSession> {
  const sha = (key: string) => createHash('sha256').update(key).digest('hex');
  const fake: FakeUpstream = await startFakeUpstream();
  const runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      admin_token: ADMIN,
      keys: [
        { id: 'k_alice', sha256: sha(ALICE) },
        { id: 'k_bob', sha256: sha(BOB) },
      ],
      tenants: { default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00' } } },
    },
  });
  const browser: Browser = await launchChromium(chromiumPath);
  const context: BrowserContext = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A fetch answered 401 or 402 is logged by Chromium as "Failed to load resource": expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });

  return {
    runcap,
    page,
    problems,
    ask(key, runId, options = {}) {
      const client = new OpenAI({
        baseURL: runcap.baseURL,
        apiKey: key,
        maxRetries: 0,
        defaultHeaders: { 'X-Run-Id': runId, ...options.headers },
      });
      return client.chat.completions.create({
        model: options.model ?? 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Summarise the ticket' }],
        max_tokens: options.maxTokens ?? 60,
      });
    },
    async admin(method, path, body) {
      const response = await api(runcap.url, method, path, { key: ADMIN, ...(body === undefined ? {} : { body }) });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
      return response.body;
    },
    async signIn(token) {
      await page.goto(`${runcap.url}/ui`);
      // A fresh tab: forget what an earlier test signed in with. (Expressions as strings: the
      // tests type-check without the DOM library.)
      await page.evaluate('sessionStorage.clear()');
      await page.reload();
      await page.getByLabel('Admin token or key').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('h1', { hasText: 'Runs' }).waitFor();
    },
    async text(selector) {
      return (await page.locator(selector).first().textContent()) ?? '';
    },
    async shot(name, where) {
      const dir = where === 'docs' ? DOCS : join(DOCS, '..', '.ui-shots');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, name), fullPage: true });
    },
    async stop() {
      await context.close();
      await browser.close();
      await runcap.stop();
      await fake.close();
    },
  };
}
