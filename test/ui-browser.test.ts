// E2E (issue 17) in a real headless Chromium: signing in to the live view of a fresh runcap (fake
// upstream, real sockets) with runs made by the openai SDK through the proxy. A wrong token refused
// with a clear message, a key sees its own runs and the admin all, keyboard use, money as runcap
// wrote it and times in the viewer's zone, a 401 later asks again, phone width. Skipped with a
// message when no Chromium is installed (test/support/browser.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOrSkip } from './support/browser.js';
import { FIND_LOW_CONTRAST, type LowContrast } from './support/contrast-check.js';
import { ADMIN, ALICE, BOB, startUiSession, type UiSession } from './support/ui-session.js';

const chromiumPath = browserOrSkip('test/ui-browser.test.ts');
const SCREENSHOTS = process.env.RUNCAP_UI_SCREENSHOTS === '1';
const ZONE = 'Asia/Kolkata';

describe.skipIf(chromiumPath === null)('signing in to the live view, in a real browser', () => {
  let ui: UiSession;
  beforeAll(async () => {
    ui = await startUiSession(chromiumPath!, ZONE);
  }, 60_000);
  afterAll(() => ui?.stop());

  it('loads from a fresh runcap and refuses a wrong token with a clear message', async () => {
    const { page } = ui;
    await page.goto(`${ui.runcap.url}/ui`);
    await page.getByLabel('Admin token or key').fill('rc-not-a-key-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^runcap refused this token \(401\): .+Check it and try again\.$/);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runcap.token')")).toBeNull();
    expect(await page.evaluate<LowContrast[]>(FIND_LOW_CONTRAST)).toEqual([]);
  });

  it("shows a run made through the proxy to its key, not another key's, and all of them to the admin", async () => {
    const { page } = ui;
    await ui.ask(ALICE, 'ui-alice-1', { headers: { 'X-Run-Budget-USD': '0.50' } });
    await ui.ask(BOB, 'ui-bob-1');
    await ui.signIn(ALICE);
    const row = page.locator('tr[data-run-id="ui-alice-1"]');
    await row.waitFor();
    expect(await row.locator('td.col-key').textContent()).toBe('k_alice');
    expect(await row.locator('td.col-models').textContent()).toBe('gpt-4o-mini ×1');
    expect(await row.locator('td.col-calls').textContent()).toBe('1');
    expect(await page.locator('tr[data-run-id="ui-bob-1"]').count()).toBe(0);
    // Kept for the tab only.
    expect(await page.evaluate("[sessionStorage.getItem('runcap.token'), localStorage.length]")).toEqual([ALICE, 0]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await ui.signIn(ADMIN);
    await page.locator('tr[data-run-id="ui-alice-1"]').waitFor();
    await page.locator('tr[data-run-id="ui-bob-1"]').waitFor();
  });

  it("opens a run by keyboard and shows its money as runcap's decimal strings, times in the viewer's zone", async () => {
    const { page } = ui;
    await ui.signIn(ALICE);
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

    const run = await ui.admin('GET', '/budget/runs/ui-alice-1');
    await page.locator('.facts .spend-figures .committed', { hasText: `$${String(run['committed_usd'])}` }).waitFor();
    expect(await ui.text('.facts .spend-figures .of')).toBe(' of $0.50');
    expect(await ui.text('.remaining strong')).toBe(`$${String(run['remaining_usd'])}`);
    const created = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZone: ZONE,
    }).format(new Date(String(run['created_at'])));
    expect(await ui.text(`time[datetime="${String(run['created_at'])}"]`)).toBe(created);
    expect(await ui.text('#zone')).toBe('Times in GMT+5:30');
  });

  it('reconnects to the event stream when it drops, and stays live', async () => {
    const { page } = ui;
    let attempts = 0;
    await page.route('**/budget/events*', (route) => (attempts++ === 0 ? route.abort() : route.continue()));
    await ui.signIn(ALICE);
    await page.locator('#live', { hasText: /^live$/ }).waitFor();
    expect(attempts).toBe(2);
    await ui.ask(ALICE, 'ui-alice-1');
    await page.locator('tr[data-run-id="ui-alice-1"] td.col-calls', { hasText: /^2$/ }).waitFor();
    await page.unrouteAll();
  });

  it('asks for a token again when runcap answers 401 for the one the tab kept', async () => {
    const { page } = ui;
    await page.evaluate("sessionStorage.setItem('runcap.token', 'rc-revoked-key')");
    await page.reload();
    const error = page.locator('#sign-in-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/^runcap refused the token \(401\): .+Sign in again\.$/);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runcap.token')")).toBeNull();
  });

  it('fits a phone-sized screen without sideways scrolling, in both views', async () => {
    const { page } = ui;
    await ui.signIn(ADMIN);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('tr[data-run-id="ui-alice-1"]').waitFor();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    if (SCREENSHOTS) await ui.shot('ui-runs-phone.png', 'scratch');
    await page.locator('a[href="#/runs/ui-alice-1?tenant=default"]').first().click();
    await page.locator('h1', { hasText: 'ui-alice-1' }).waitFor();
    await page.locator('.facts').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    if (SCREENSHOTS) await ui.shot('ui-run-phone.png', 'scratch');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logged no script error and no Content-Security-Policy violation', () => {
    expect(ui.problems).toEqual([]);
  });
});
