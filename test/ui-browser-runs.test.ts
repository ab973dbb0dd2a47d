// E2E (issue 17) in a real headless Chromium: what the live view shows of runs made through the
// proxy (openai SDK) and the budget API. Bars that turn amber near the ceiling and red past it,
// sorting and filtering, a run's calls as the API lists them with a block's reason and the
// alternatives offered, the ceiling history and sub-agent runs, and both views updating live when
// another call is made. `npm run ui:screenshots` saves docs/ui-runs.png and docs/ui-run.png here.
import { OpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/budget-client.js';
import { browserOrSkip } from './support/browser.js';
import { FIND_LOW_CONTRAST, type LowContrast } from './support/contrast-check.js';
import { ADMIN, ALICE, BOB, startUiSession, type UiSession } from './support/ui-session.js';

const chromiumPath = browserOrSkip('test/ui-browser-runs.test.ts');
const SCREENSHOTS = process.env.RUNCAP_UI_SCREENSHOTS === '1';

type Call = Record<string, unknown> & { block: { alternatives: { model: string }[] } | null };

describe.skipIf(chromiumPath === null)('runs and calls in the live view, in a real browser', () => {
  let ui: UiSession;
  const asAlice = async (method: string, path: string, body?: unknown) => {
    const response = await api(ui.runcap.url, method, path, { key: ALICE, ...(body === undefined ? {} : { body }) });
    expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(300);
    return response.body;
  };
  const hold = async (runId: string, amount: string, budget?: string) =>
    String(
      (
        await asAlice('POST', '/budget/reservations', {
          run_id: runId,
          amount_usd: amount,
          ...(budget ? { run_budget_usd: budget } : {}),
        })
      )['reservation_id'],
    );

  beforeAll(async () => {
    ui = await startUiSession(chromiumPath!, 'UTC');
    // An agent run with a ticket tag, four calls on two models, a sub-agent run, a raised ceiling,
    // and a call refused for the ceiling (gpt-4o with 4,000 output tokens is ~$0.04).
    await asAlice('POST', '/budget/runs', { id: 'ui-agent-42', limit_usd: '0.02', tags: { ticket: 'ENG-123' } });
    for (let step = 0; step < 3; step += 1) await ui.ask(ALICE, 'ui-agent-42');
    await ui.ask(ALICE, 'ui-agent-42', { model: 'gpt-4o' });
    await ui.ask(ALICE, 'ui-agent-42.search', { headers: { 'X-Parent-Run-Id': 'ui-agent-42' } });
    await asAlice('PATCH', '/budget/runs/ui-agent-42', { limit_usd: '0.03' });
    const refused = await ui.ask(ALICE, 'ui-agent-42', { model: 'gpt-4o', maxTokens: 4000 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    // 85 % of the ceiling spent or held: amber.
    await asAlice('POST', `/budget/reservations/${await hold('ui-research', '0.70', '1.00')}/commit`, {
      amount_usd: '0.70',
    });
    await hold('ui-research', '0.15');
    // A commit past its hold is recorded in full: 105 %, red.
    await asAlice('POST', `/budget/reservations/${await hold('ui-overrun', '0.009', '0.01')}/commit`, {
      amount_usd: '0.0105',
    });
    await ui.ask(ALICE, 'ui-done');
    await asAlice('POST', '/budget/runs/ui-done/close');
    await ui.ask(BOB, 'ui-bob-nightly', { model: 'gpt-4o' });
  }, 90_000);
  afterAll(() => ui?.stop());

  const row = (runId: string) => ui.page.locator(`tr[data-run-id="${runId}"]`);
  const runIds = async (): Promise<string[]> => {
    const rows = await ui.page.locator('tbody tr[data-run-id]').all();
    return Promise.all(rows.map(async (r) => (await r.getAttribute('data-run-id')) ?? ''));
  };

  it('shows each run against its ceiling: amber near it, red past it, the figures written out', async () => {
    await ui.signIn(ALICE);
    await row('ui-research').waitFor();
    expect(await row('ui-research').locator('.spend').getAttribute('class')).toBe('spend level-near');
    expect(await row('ui-research').locator('.spend-figures').textContent()).toBe('$0.70 + $0.15 held of $1.00 · 85%');
    expect(await row('ui-overrun').locator('.spend').getAttribute('class')).toBe('spend level-over');
    expect(await row('ui-overrun').locator('.spend-figures').textContent()).toBe('$0.0105 of $0.01 · 105%');
    const agent = await ui.admin('GET', '/budget/runs/ui-agent-42');
    expect(await row('ui-agent-42').locator('.spend-figures .committed').textContent()).toBe(
      `$${String(agent['committed_usd'])}`,
    );
    expect(await row('ui-agent-42').locator('td.col-calls').textContent()).toBe(String(agent['calls']));
    expect(await row('ui-agent-42').locator('td.col-models').textContent()).toBe('gpt-4o ×1gpt-4o-mini ×4');
    expect(await row('ui-agent-42.search').locator('.sub').textContent()).toBe('sub-agent of ui-agent-42');
    expect(await row('ui-done').locator('.badge').textContent()).toBe('closed');
    // Every text on the page, badges and amber/red figures included, at 4.5:1 or better (WCAG AA).
    expect(await ui.page.evaluate<LowContrast[]>(FIND_LOW_CONTRAST)).toEqual([]);
  });

  it('sorts by closeness to the ceiling and filters by words and state', async () => {
    const { page } = ui;
    await page.getByRole('button', { name: 'Spend of ceiling' }).click();
    expect((await runIds()).slice(0, 2)).toEqual(['ui-overrun', 'ui-research']);
    expect(await page.locator('th[data-sort="spend"]').getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: 'Spend of ceiling' }).click();
    expect((await runIds()).slice(-2)).toEqual(['ui-research', 'ui-overrun']);

    await page.getByLabel('Filter').fill('eng-123');
    expect(await runIds()).toEqual(['ui-agent-42']);
    await page.getByLabel('Filter').fill('');
    await page.getByLabel('State').selectOption('closed');
    await page.locator('.summary', { hasText: /^1 run$/ }).waitFor();
    expect(await runIds()).toEqual(['ui-done']);
    await page.getByLabel('State').selectOption('all');
    await row('ui-research').waitFor();
  });

  it("lists a run's calls as the API does, with the block's reason and the alternatives offered", async () => {
    const { page } = ui;
    await row('ui-agent-42').locator('td.col-run > a').click();
    await page.locator('h1', { hasText: 'ui-agent-42' }).waitFor();
    const listed = (await ui.admin('GET', '/budget/runs/ui-agent-42/calls')) as { calls: Call[] };
    const rows = page.locator('.calls-table tr.call');
    await page
      .locator('.calls-table tr.call')
      .nth(listed.calls.length - 1)
      .waitFor();
    expect(await rows.count()).toBe(listed.calls.length);
    expect(listed.calls.map((call) => call['decision'])).toEqual(['allow', 'allow', 'allow', 'allow', 'block']);

    const first = listed.calls[0]!;
    expect(await rows.nth(0).locator('td').allTextContents()).toEqual([
      new Intl.DateTimeFormat('en-US', {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        timeZone: 'UTC',
      }).format(new Date(String(first['at']))),
      'chat',
      'gpt-4o-mini',
      `${first['input_tokens']} / ${first['output_tokens']}`,
      `$${String(first['cost_usd'])}`,
      'allow',
      'provider',
    ]);
    const blocked = listed.calls[4]!;
    expect(await rows.nth(4).locator('td').nth(5).textContent()).toBe('block run_ceiling_reached');
    const reason = await ui.text('tr.block-detail .reason');
    expect(reason).toMatch(
      /^Why: Run ceiling reached \(run ui-agent-42\): \$0\.\d+ spent and \$0\.00 held of \$0\.03; /,
    );
    expect(reason).toContain(`this call's worst case, $${String(blocked['estimate_usd'])}, did not fit.`);
    const offered = blocked.block!.alternatives.map((alternative) => alternative.model);
    expect(offered).toContain('gpt-4o-mini');
    const shown = await page.locator('tr.block-detail .alternatives code').allTextContents();
    expect(shown).toEqual(offered);

    expect(await page.locator('.history-table tbody td').allTextContents()).toEqual([
      expect.any(String),
      'k_alice',
      '$0.02',
      '$0.03',
    ]);
    expect(await page.locator('.children-table a').allTextContents()).toEqual(['ui-agent-42.search']);
    expect(await page.evaluate<LowContrast[]>(FIND_LOW_CONTRAST)).toEqual([]);
    if (SCREENSHOTS) await ui.shot('ui-run.png', 'docs');
    // On a phone the calls and the block's reason become cards, with no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(
      0,
    );
    if (SCREENSHOTS) await ui.shot('ui-run-block-phone.png', 'scratch');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('updates the run view and the runs view when another call is made, without a reload', async () => {
    const { page } = ui;
    await page.evaluate("window.marker = 'same page'");
    await ui.ask(ALICE, 'ui-agent-42');
    await page.locator('.calls-table tr.call').nth(5).waitFor();
    const after = await ui.admin('GET', '/budget/runs/ui-agent-42');
    await page.locator('.facts .spend-figures .committed', { hasText: `$${String(after['committed_usd'])}` }).waitFor();

    await page.locator('a', { hasText: '← All runs' }).click();
    await row('ui-agent-42').waitFor();
    await ui.ask(ALICE, 'ui-agent-42.search', { model: 'gpt-4o' });
    // The child's call counts in its parent's row too.
    await row('ui-agent-42').locator('td.col-calls', { hasText: /^7$/ }).waitFor();
    await row('ui-agent-42.search').locator('td.col-models', { hasText: 'gpt-4o ×1' }).waitFor();
    expect(await page.evaluate<string>('window.marker')).toBe('same page');
    expect(await ui.text('#live')).toBe('live');
  });

  it('shows the admin every key’s runs', async () => {
    await ui.signIn(ADMIN);
    await row('ui-bob-nightly').waitFor();
    await row('ui-agent-42').waitFor();
    if (SCREENSHOTS) await ui.shot('ui-runs.png', 'docs');
  });

  // 104 sequential API calls before the browser work: ~1.5 s alone, over 30 s on two busy cores.
  it('pages through more runs than one listing holds with the cursor, a live refresh in flight', async () => {
    for (let n = 0; n < 104; n += 1) {
      const made = await api(ui.runcap.url, 'POST', '/budget/runs', { key: BOB, body: { id: `ui-bob-batch-${n}` } });
      expect(made.status).toBe(201);
    }
    const { page } = ui;
    await ui.signIn(BOB);
    await page.locator('.summary', { hasText: /^100 runs$/ }).waitFor();

    // A call makes the page refresh its first page; that listing is held until "Load more" was
    // clicked, so the two overlap (a refresh answering after the next page used to put back
    // the first page alone: 100 runs and the button again).
    let release: (() => Promise<void>) | null = null;
    const listing = (url: URL): boolean => url.pathname === '/budget/runs';
    const refreshHeld = new Promise<void>((held) => {
      void page.route(listing, async (route) => {
        if (release !== null || new URL(route.request().url()).searchParams.has('cursor')) return route.continue();
        release = () => route.continue();
        held();
      });
    });
    await ui.ask(BOB, 'ui-bob-late');
    await refreshHeld;
    await page.getByRole('button', { name: 'Load more runs' }).click();
    await release!();

    await page.locator('.summary', { hasText: /^106 runs$/ }).waitFor();
    await page.unroute(listing);
    const ids = await runIds();
    expect(new Set(ids).size).toBe(106);
    expect(ids).toContain('ui-bob-nightly');
    expect(ids).toContain('ui-bob-late');
    expect(await page.getByRole('button', { name: 'Load more runs' }).isHidden()).toBe(true);
  }, 120_000);

  it('logged no script error and no Content-Security-Policy violation', () => {
    expect(ui.problems).toEqual([]);
  });
});
