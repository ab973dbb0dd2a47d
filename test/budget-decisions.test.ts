// E2E: decision records (GET /budget/decisions/{id}): complete per docs/design.md §5, visible to their
// principal and the admin only, and pruned by the sweeper after retention_days.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const DAY_MS = 86_400_000;
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake.close();
});

describe('decision records', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: { admin_token: ADMIN, tenants: { default: { run: { default_limit_usd: '1.00' } } } },
    });
  });
  afterAll(async () => {
    await runcap.stop();
  });

  it('records the inputs, outcome and settled actual of an allowed call', async () => {
    const call = await chat(runcap.url, 'sk-dec-alice', 'dec-run', {
      maxTokens: 100,
      headers: { 'x-budget-feature': 'triage' },
    });
    expect(call.status).toBe(200);
    const id = call.headers.get('x-budget-decision-id') ?? '';
    await decisionOf(runcap, id);
    const record = await api(runcap.url, 'GET', `/budget/decisions/${id}`, { key: 'sk-dec-alice' });
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({
      id,
      tenant: 'default',
      run_id: 'dec-run',
      feature: 'triage',
      endpoint: 'chat',
      decision: 'allow',
      mode: 'hard_gate',
      requested_model: 'gpt-4o-mini',
      selected_model: 'gpt-4o-mini',
      price_table_version: '2026-11-30',
      client_requested_max_output_tokens: 100,
      effective_max_output_tokens: 100,
      reservation_id: call.headers.get('x-budget-reservation-id'),
      state: 'settled',
      actual_usd: '0.000014',
      usage_source: 'provider',
      overrun_usd: '0.00',
      usage: {
        input_tokens: 10,
        output_tokens: 20,
        cached_input_tokens: 0,
        reasoning_tokens: 0,
        cache_write_tokens: 0,
      },
    });
    const body = record.body;
    expect(typeof body.input_tokens).toBe('number');
    expect(body.estimate_usd).toMatch(/^\d+\.\d{2,6}$/);
    expect((body.scopes as { type: string }[]).map((s) => s.type)).toEqual(['run', 'feature']);
    expect(body.blocking_scope).toMatchObject({ type: 'run', limit_usd: '1.00' });
    expect(Date.parse(String(body.settled_at))).toBeGreaterThanOrEqual(Date.parse(String(body.created_at)));
  });

  it('records the blocking scope and alternatives of a block', async () => {
    const blocked = await chat(runcap.url, 'sk-dec-alice', 'dec-block', {
      model: 'gpt-4o',
      maxTokens: 1000,
      headers: { 'x-run-budget-usd': '0.001' },
    });
    expect(blocked.status).toBe(402);
    const record = await decisionOf(runcap, blocked.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({
      decision: 'block',
      code: 'run_ceiling_reached',
      state: 'refused',
      reservation_id: null,
      selected_model: null,
      blocking_scope: { type: 'run', limit_usd: '0.001' },
    });
    expect(record.alternatives).toEqual([expect.objectContaining({ model: 'gpt-4o-mini', fits_budget: true })]);
  });

  it('is visible to its principal and the admin only (404 otherwise, and for unknown ids)', async () => {
    const call = await chat(runcap.url, 'sk-dec-alice', 'dec-visible');
    const id = call.headers.get('x-budget-decision-id') ?? '';
    await decisionOf(runcap, id);
    expect((await api(runcap.url, 'GET', `/budget/decisions/${id}`, { key: 'sk-dec-bob' })).status).toBe(404);
    expect((await api(runcap.url, 'GET', `/budget/decisions/${id}`, { key: ADMIN })).status).toBe(200);
    expect((await api(runcap.url, 'GET', '/budget/decisions/bdgdec_nope', { key: ADMIN })).status).toBe(404);
    expect((await api(runcap.url, 'GET', `/budget/decisions/${id}`)).status).toBe(401);
  });
});

describe('retention', () => {
  it('prunes decision records older than retention_days and keeps newer ones', async () => {
    let offsetMs = 0;
    const runcap = await startRuncap({
      upstreamUrl: fake.url,
      clock: () => Date.now() + offsetMs,
      config: { retention_days: 1, ledger: { sweep_interval: '1s' } },
    });
    try {
      const old = await chat(runcap.url, 'sk-ret', 'ret-run');
      const oldId = old.headers.get('x-budget-decision-id') ?? '';
      await decisionOf(runcap, oldId);
      // A day later (less than retention plus the sweeper's hour): still there.
      offsetMs = DAY_MS - 60_000;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await api(runcap.url, 'GET', `/budget/decisions/${oldId}`, { key: 'sk-ret' })).status).toBe(200);

      offsetMs = 2 * DAY_MS;
      // A block makes a record without a hold (a live hold would be expired by the jumped clock).
      const fresh = await chat(runcap.url, 'sk-ret', 'ret-fresh', { headers: { 'x-run-budget-usd': '0.000001' } });
      const freshId = fresh.headers.get('x-budget-decision-id') ?? '';
      expect(fresh.status).toBe(402);
      await waitFor(
        () => api(runcap.url, 'GET', `/budget/decisions/${oldId}`, { key: 'sk-ret' }).then((r) => r.status),
        (status) => status === 404,
      );
      expect(await runcap.store.decisions.get(oldId)).toBeNull();
      expect((await api(runcap.url, 'GET', `/budget/decisions/${freshId}`, { key: 'sk-ret' })).status).toBe(200);
      // The run, idle for the whole window and holding nothing, goes too (docs/ledger.md "Retention");
      // runs in use and lifetime ceilings keep their money (the ledger contract's retention tests).
      await waitFor(
        () => api(runcap.url, 'GET', '/budget/runs/ret-run', { key: 'sk-ret' }).then((r) => r.status),
        (status) => status === 404,
      );
    } finally {
      await runcap.stop();
    }
  });
});
