// E2E: PATCH /budget/runs/{id} (docs/design.md §12). Raising a blocked run's ceiling lets its next
// call through; lowering it below committed + reserved blocks further calls and never undoes spent
// money; every change is in the run's history (who, when, from, to). The run's principal stays
// within the tenant maximum, the admin does not; refusals change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const KEY = 'sk-patch-alice';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { admin_token: ADMIN, tenants: { default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00' } } } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const patch = (runId: string, body: unknown, key = KEY) =>
  api<Record<string, unknown>>(runcap.url, 'PATCH', `/budget/runs/${runId}`, { key, body });
type Change = { at: string; changed_by: string; from_usd: string; to_usd: string };

describe('PATCH /budget/runs/{id}', () => {
  it('a blocked run resumes on its next call once its ceiling is raised; the change is in its history', async () => {
    // 1,000 output tokens of gpt-4o-mini do not fit $0.0001.
    const blocked = await chat(runcap.url, KEY, 'patch-raise', {
      maxTokens: 1_000,
      headers: { 'x-run-budget-usd': '0.0001' },
    });
    expect(blocked.status).toBe(402);
    const before = Date.now();
    const raised = await patch('patch-raise', { limit_usd: '0.50' });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ id: 'patch-raise', limit_usd: '0.50', remaining_usd: '0.50' });
    const [change] = raised.body['limit_history'] as Change[];
    expect(change).toMatchObject({ changed_by: passthroughKeyId(KEY), from_usd: '0.0001', to_usd: '0.50' });
    expect(Date.parse(change?.at ?? '')).toBeGreaterThanOrEqual(before - 1_000);
    expect((await chat(runcap.url, KEY, 'patch-raise', { maxTokens: 1_000 })).status).toBe(200);
    const report = await api(runcap.url, 'GET', '/budget/runs/patch-raise', { key: KEY });
    expect(report.body['limit_history']).toEqual(raised.body['limit_history']);
    const changes = await runcap.server.deps.metrics.runLimitChanges.get();
    expect(changes.values.find((v) => v.labels.direction === 'raise' && v.labels.by === 'owner')?.value).toBe(1);
  });

  it('lowering below committed + reserved blocks further calls and never undoes spent money', async () => {
    expect((await chat(runcap.url, KEY, 'patch-lower', { headers: { 'x-fake-output-tokens': '40' } })).status).toBe(
      200,
    );
    const spent = (await runView(runcap, 'patch-lower')).committedMicros;
    const lowered = await patch('patch-lower', { limit_usd: formatUsd(Math.floor(spent / 2)) });
    expect(lowered.status).toBe(200);
    expect(lowered.body).toMatchObject({
      committed_usd: formatUsd(spent),
      reserved_usd: '0.00',
      remaining_usd: formatUsd(Math.floor(spent / 2) - spent),
    });
    const refused = await chat(runcap.url, KEY, 'patch-lower', { maxTokens: 1 });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({
      code: 'run_ceiling_reached',
      budget: { limit_usd: formatUsd(Math.floor(spent / 2)), remaining_usd: formatUsd(Math.floor(spent / 2) - spent) },
    });
    expect((await runView(runcap, 'patch-lower')).committedMicros).toBe(spent);
  });

  it('the principal stays within the tenant maximum; the admin may go beyond it and is recorded as admin', async () => {
    await chat(runcap.url, KEY, 'patch-max');
    const above = await patch('patch-max', { limit_usd: '5.01' });
    expect(above.status).toBe(400);
    expect(above.body).toMatchObject({ code: 'run_budget_above_max', error: { param: 'limit_usd' } });
    expect((await patch('patch-max', { limit_usd: '5.00' })).status).toBe(200);
    const byAdmin = await patch('patch-max', { limit_usd: '12.00' }, ADMIN);
    expect(byAdmin.status).toBe(200);
    expect(
      (byAdmin.body['limit_history'] as Change[]).map(({ changed_by, from_usd, to_usd }) => [
        changed_by,
        from_usd,
        to_usd,
      ]),
    ).toEqual([
      [passthroughKeyId(KEY), '1.00', '5.00'],
      ['admin', '5.00', '12.00'],
    ]);
    expect((await runcap.store.runs.get('default', 'patch-max'))?.limitMicros).toBe(parseUsd('12.00'));
  });

  it('refuses bad bodies, other principals, missing and closed runs, changing nothing', async () => {
    await chat(runcap.url, KEY, 'patch-bad');
    const cases: [unknown, string, number, string][] = [
      [{ limit_usd: '0' }, KEY, 400, 'invalid_request'],
      [{ limit_usd: '-1' }, KEY, 400, 'invalid_request'],
      [{ limit_usd: 8 }, KEY, 400, 'invalid_request'],
      [{ limit_usd: '1.00', state: 'open' }, KEY, 400, 'invalid_request'],
      [{}, KEY, 400, 'invalid_request'],
      [{ limit_usd: '2.00' }, 'sk-patch-mallory', 404, 'not_found'],
    ];
    for (const [body, key, status, code] of cases) {
      const refused = await patch('patch-bad', body, key);
      expect({ body, status: refused.status, code: refused.body['code'] }).toEqual({ body, status, code });
    }
    expect((await patch('patch-missing', { limit_usd: '2.00' })).status).toBe(404);
    await api(runcap.url, 'POST', '/budget/runs/patch-bad/close', { key: KEY });
    const closed = await patch('patch-bad', { limit_usd: '2.00' });
    expect(closed.status).toBe(403);
    expect(closed.body).toMatchObject({ code: 'run_closed' });
    expect(await runcap.store.runs.limitHistory('default', 'patch-bad')).toEqual([]);
    expect((await runcap.store.runs.get('default', 'patch-bad'))?.limitMicros).toBe(parseUsd('1.00'));
  });
});
