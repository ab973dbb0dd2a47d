// E2E (issue 17) in a real headless Chromium: the live view of a fresh runcap (fake upstream, real
// sockets), with runs made by the openai SDK through the proxy. Sign-in and refusal of a wrong
// token, the runs a key and the admin see, one run's view, a live update without a reload, a
// block with its reason, keyboard use, the viewer's time zone, phone width. Skipped with a message
// when no Chromium is installed. `npm run ui:screenshots` also saves docs/ui-runs.png and docs/ui-run.png.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/budget-client.js';
import { browserOrSkip, launchChromium } from './support/browser.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const chromiumPath = browserOrSkip('test/ui-browser.test.ts');
const SCREENSHOTS = process.env.RUNCAP_UI_SCREENSHOTS === '1';
const DOCS = join(import.meta.dirname, '..', 'docs');

const ADMIN = 'admin-token-for-the-ui-tests-0123';
const ALICE = 'rc-ui-alice-key';
const BOB = 'rc-ui-bob-key';
const ZONE = 'Asia/Kolkata';
const sha = (key: string) => createHash('sha256').update(key).digest('hex');

let fake: FakeUpstream;
let runcap: TestRuncap;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageProblems: string[] = [];

function sdk(key: string, runId: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, ...headers },
  });
}

async function ask(key: string, runId: string, headers: Record<string, string> = {}, model = 'gpt-4o-mini') {
  return sdk(key, runId, headers).chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Summarise the ticket' }],
    max_tokens: 60,
  });
}

async function report(runId: string): Promise<Record<string, unknown>> {
  const response = await api(runcap.url, 'GET', `/budget/runs/${runId}`, { key: ADMIN });
  expect(response.status).toBe(200);
  return response.body;
}

async function signIn(token: string): Promise<void> {
  await page.goto(`${runcap.url}/ui`);
  // A fresh tab: forget what an earlier test signed in with.
  await page.evaluate('sessionStorage.clear()');
  await page.reload();
  await page.getByLabel('Admin token or key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasText: 'Runs' }).waitFor();
}

// page.evaluate takes expressions as strings: the tests type-check without the DOM library.
const text = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent()) ?? '';

describe.skipIf(chromiumPath === null)('the live view in a real browser', () => {
  beforeAll(async () => {
    fake = await startFakeUpstream();
    runcap = await startRuncap({
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
    browser = await launchChromium(chromiumPath!);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: ZONE });
    page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // A fetch answered 401 is logged by Chromium as "Failed to load resource": that one is expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageProblems.push(`console: ${message.text()}`);
      }
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await runcap?.stop();
    await fake?.close();
  });

  it('loads from a fresh runcap and refuses a wrong token with a clear message', async () => {
    await page.goto(`${runcap.url}/ui`);
    await page.getByLabel('Admin token or key').fill('rc-not-a-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^runcap refused this token \(401\): .+Check it and try again\.$/);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runcap.token')")).toBeNull();
  });

  it("shows a run made through the proxy to its key, not another key's, and all of them to the admin", async () => {
    await ask(ALICE, 'ui-alice-1', { 'X-Run-Budget-USD': '0.50' });
    await ask(BOB, 'ui-bob-1');
    await signIn(ALICE);
    const row = page.locator('tr[data-run-id="ui-alice-1"]');
    await row.waitFor();
    expect(await row.locator('td.col-key').textContent()).toBe('k_alice');
    expect(await page.locator('tr[data-run-id="ui-bob-1"]').count()).toBe(0);
    // Kept for the tab only.
    expect(await page.evaluate("[sessionStorage.getItem('runcap.token'), localStorage.length]")).toEqual([ALICE, 0]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN);
    await page.locator('tr[data-run-id="ui-alice-1"]').waitFor();
    await page.locator('tr[data-run-id="ui-bob-1"]').waitFor();
  });

  it("opens a run by keyboard and shows its spend as runcap's decimal strings, times in the viewer's zone", async () => {
    await signIn(ALICE);
    await page.locator('tr[data-run-id="ui-alice-1"]').waitFor();
    // Tab from the top of the page to the run's link, then Enter.
    let focused = '';
    for (let presses = 0; presses < 40 && !focused.startsWith('#/runs/ui-alice-1'); presses += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>("document.activeElement?.getAttribute('href') ?? ''");
    }
    expect(focused).toBe('#/runs/ui-alice-1?tenant=default');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'ui-alice-1' }).waitFor();

    const run = await report('ui-alice-1');
    await page.locator('.facts .spend-figures .committed', { hasText: `$${String(run['committed_usd'])}` }).waitFor();
    expect(await text('.facts .spend-figures .of')).toBe(' of $0.50');
    expect(await text('.remaining strong')).toBe(`$${String(run['remaining_usd'])}`);
    const created = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZone: ZONE,
    }).format(new Date(String(run['created_at'])));
    expect(await text(`time[datetime="${String(run['created_at'])}"]`)).toBe(created);
  });

  it('updates the run view when another call is made, without a reload', async () => {
    const before = await report('ui-alice-1');
    await page.evaluate("window.marker = 'same page'");
    await ask(ALICE, 'ui-alice-1');
    const after = await report('ui-alice-1');
    expect(after['calls']).toBe(Number(before['calls']) + 1);
    await page.locator('.facts .spend-figures .committed', { hasText: `$${String(after['committed_usd'])}` }).waitFor();
    expect(await page.evaluate<string>('window.marker')).toBe('same page');
    expect(await text('#live')).toMatch(/^(live|polling every 2 s)$/);
  });

  it('asks for a token again when runcap answers 401 for the one the tab kept', async () => {
    await page.evaluate("sessionStorage.setItem('runcap.token', 'rc-revoked-key')");
    await page.reload();
    const error = page.locator('#sign-in-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^runcap refused the token \(401\): .+Sign in again\.$/);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runcap.token')")).toBeNull();
  });

  it('fits a phone-sized screen without sideways scrolling, in both views', async () => {
    await signIn(ADMIN);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('tr[data-run-id="ui-alice-1"]').waitFor();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    if (SCREENSHOTS) await shot('ui-runs-phone.png', true);
    await page.locator('a[href="#/runs/ui-alice-1?tenant=default"]').first().click();
    await page.locator('h1', { hasText: 'ui-alice-1' }).waitFor();
    await page.locator('.facts').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    if (SCREENSHOTS) await shot('ui-run-phone.png', true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no script error and no Content-Security-Policy violation', () => {
    expect(pageProblems).toEqual([]);
  });
});

/** docs/<name> for the README (1280 wide), or a phone check under .ui-shots/ (not committed). */
async function shot(name: string, phone = false): Promise<void> {
  const dir = phone ? join(DOCS, '..', '.ui-shots') : DOCS;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}
