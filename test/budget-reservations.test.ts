// E2E: the budget API for non-proxy callers (POST /budget/reservations, commit, release).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat, type ApiResponse } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const KEY = 'sk-plane-alice';
let fake: FakeUpstream;
let runcap: TestRuncap;
let offsetMs = 0;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    clock: () => Date.now() + offsetMs,
    config: {
      admin_token: ADMIN,
      ledger: { sweep_interval: '1s' },
      tenants: { default: { run: { default_limit_usd: '1.00' } } },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

type Body = Record<string, unknown>;

function reserve(body: Body, options: { key?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  return api(runcap.url, 'POST', '/budget/reservations', {
    key: options.key ?? KEY,
    body,
    ...(options.headers ? { headers: options.headers } : {}),
  });
}

function settle(id: string, action: 'commit' | 'release', body?: Body, key: string = KEY): Promise<ApiResponse> {
  return api(runcap.url, 'POST', `/budget/reservations/${id}/${action}`, { key, ...(body ? { body } : {}) });
}

describe('reservations for an amount', () => {
  it('holds the amount on the run, answers the X-Budget-* headers, and commits the caller-reported actual', async () => {
    const held = await reserve({ run_id: 'plane-run', amount_usd: '0.30', feature: 'web-search' });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({
      decision: 'allow',
      run_id: 'plane-run',
      amount_usd: '0.30',
      remaining_usd: '0.70',
      state: 'forwarded',
      model: null,
      reused: false,
    });
    const id = String(held.body.reservation_id);
    expect(id).toMatch(/^rsv_/);
    expect(held.headers.get('x-budget-decision')).toBe('allow');
    expect(held.headers.get('x-budget-reservation-id')).toBe(id);
    expect(held.headers.get('x-budget-decision-id')).toBe(held.body.decision_id);
    expect(held.headers.get('x-budget-remaining-usd')).toBe('0.70');
    expect(held.headers.get('x-budget-enforcement-mode')).toBe('hard_gate');
    expect(held.headers.get('x-run-id')).toBe('plane-run');
    expect(Date.parse(String(held.body.expires_at))).toBeGreaterThan(Date.now());
    expect((held.body.scopes as Body[]).map((s) => s.type)).toEqual(['run', 'feature']);
    expect(await runView(runcap, 'plane-run')).toMatchObject({ reservedMicros: 300_000, committedMicros: 0 });

    const committed = await settle(id, 'commit', { amount_usd: '0.25' });
    expect(committed.status).toBe(200);
    expect(committed.body).toMatchObject({
      reservation_id: id,
      state: 'committed',
      actual_usd: '0.25',
      usage_source: 'caller',
      overrun_usd: '0.00',
      feature: 'web-search',
    });
    expect(await runView(runcap, 'plane-run')).toMatchObject({ reservedMicros: 0, committedMicros: 250_000 });

    // Idempotent: a repeat (even with another amount) answers the settled reservation.
    const repeat = await settle(id, 'commit', { amount_usd: '0.99' });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ state: 'committed', actual_usd: '0.25' });
    expect(await runView(runcap, 'plane-run')).toMatchObject({ committedMicros: 250_000 });
    const release = await settle(id, 'release');
    expect(release.status).toBe(409);
    expect(release.body).toMatchObject({ code: 'conflict' });
    expect(String(release.body.detail)).toContain('committed');

    const record = await decisionOf(runcap, String(held.body.decision_id));
    expect(record).toMatchObject({
      decision: 'allow',
      endpoint: 'reservations',
      run_id: 'plane-run',
      feature: 'web-search',
      estimate_usd: '0.30',
      reservation_id: id,
      state: 'settled',
      actual_usd: '0.25',
      usage_source: 'caller',
      pricing: 'amount',
    });
  });

  it('releases a hold idempotently; a commit after the release is 409 conflict with the reason', async () => {
    const held = await reserve({ run_id: 'plane-release', amount_usd: '0.10' });
    const id = String(held.body.reservation_id);
    const released = await settle(id, 'release');
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ state: 'released', actual_usd: null });
    expect((await settle(id, 'release')).body).toMatchObject({ state: 'released' });
    const late = await settle(id, 'commit', { amount_usd: '0.10' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'conflict' });
    expect(String(late.body.detail)).toMatch(/released/);
    expect(await runView(runcap, 'plane-release')).toMatchObject({ reservedMicros: 0, committedMicros: 0 });
    expect(await decisionOf(runcap, String(held.body.decision_id))).toMatchObject({
      state: 'released',
      actual_usd: '0.00',
      release_reason: 'caller',
    });
  });

  it('records an overrun in full instead of capping it', async () => {
    const held = await reserve({ run_id: 'plane-overrun', amount_usd: '0.10' });
    const committed = await settle(String(held.body.reservation_id), 'commit', { amount_usd: '0.15' });
    expect(committed.body).toMatchObject({ actual_usd: '0.15', overrun_usd: '0.05' });
    expect(await runView(runcap, 'plane-overrun')).toMatchObject({ committedMicros: 150_000, reservedMicros: 0 });
  });

  it('blocks an amount that does not fit with the same 402 problem as the proxy, and records the decision', async () => {
    await reserve({ run_id: 'plane-block', amount_usd: '0.90' });
    const blocked = await reserve({ run_id: 'plane-block', amount_usd: '0.20' });
    expect(blocked.status).toBe(402);
    expect(blocked.headers.get('content-type')).toBe('application/problem+json');
    expect(blocked.headers.get('x-should-retry')).toBe('false');
    expect(blocked.headers.get('x-budget-decision')).toBe('block');
    expect(blocked.headers.get('x-budget-blocking-scope')).toBe('run');
    expect(blocked.headers.get('x-budget-remaining-usd')).toBe('0.10');
    expect(blocked.body).toMatchObject({
      code: 'run_ceiling_reached',
      status: 402,
      budget: {
        scope: 'run',
        run_id: 'plane-block',
        limit_usd: '1.00',
        reserved_usd: '0.90',
        remaining_usd: '0.10',
        estimate_usd: '0.20',
        effective_max_output_tokens: null,
      },
      error: { code: 'run_ceiling_reached', type: 'insufficient_budget' },
    });
    expect(String(blocked.body.detail)).toContain('$0.20');
    const record = await decisionOf(runcap, blocked.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({
      decision: 'block',
      state: 'refused',
      code: 'run_ceiling_reached',
      reservation_id: null,
    });
  });
});

describe('reservations priced by model', () => {
  it('holds the worst case from the price table and commits usage priced at the reservation model', async () => {
    // gpt-4o: 1000 in x $2.50/1M + 500 out x $10/1M = $0.0075.
    const held = await reserve({ run_id: 'plane-model', model: 'gpt-4o', input_tokens: 1000, max_output_tokens: 500 });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ amount_usd: '0.0075', model: 'gpt-4o', price_table_version: '2026-11-30' });
    expect(held.headers.get('x-budget-price-table-version')).toBe('2026-11-30');
    // 800 in ($0.002) + 100 out ($0.001), 200 of the input cached at $1.25/1M: 600 x 2.5 + 200 x 1.25 + 100 x 10 = 2750 micro-USD.
    const committed = await settle(String(held.body.reservation_id), 'commit', {
      usage: { input_tokens: 800, cached_input_tokens: 200, output_tokens: 100 },
    });
    expect(committed.status).toBe(200);
    expect(committed.body).toMatchObject({
      actual_usd: '0.00275',
      usage_source: 'caller',
      usage: { input_tokens: 800, output_tokens: 100, cached_input_tokens: 200, reasoning_tokens: 0 },
    });
    expect(await runView(runcap, 'plane-model')).toMatchObject({ committedMicros: 2_750, reservedMicros: 0 });
    const record = await decisionOf(runcap, String(held.body.decision_id));
    expect(record).toMatchObject({
      pricing: 'model',
      requested_model: 'gpt-4o',
      input_tokens: 1000,
      effective_max_output_tokens: 500,
      actual_usd: '0.00275',
    });
  });

  it('lists cheaper models that fit when the requested one is blocked', async () => {
    await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body: { id: 'plane-alt', limit_usd: '0.01' } });
    // gpt-4o: 1000 x 2.5 + 1000 x 10 = $0.0125 > $0.01; gpt-4o-mini: $0.00075 fits.
    const blocked = await reserve({
      run_id: 'plane-alt',
      model: 'gpt-4o',
      input_tokens: 1000,
      max_output_tokens: 1000,
    });
    expect(blocked.status).toBe(402);
    expect(blocked.body).toMatchObject({
      code: 'run_ceiling_reached',
      budget: { estimate_usd: '0.0125', effective_max_output_tokens: 1000 },
      alternatives: [{ model: 'gpt-4o-mini', estimate_usd: '0.00075', fits_budget: true }],
    });
  });

  it('refuses an unknown model (403 price_unknown), input beyond the context window, and usage on an amount hold', async () => {
    const unknown = await reserve({ model: 'gpt-9-ultra', input_tokens: 10, max_output_tokens: 10 });
    expect(unknown.status).toBe(403);
    expect(unknown.body).toMatchObject({ code: 'price_unknown', error: { param: 'model' } });
    const huge = await reserve({ model: 'gpt-4o', input_tokens: 200_000, max_output_tokens: 10 });
    expect(huge.status).toBe(400);
    expect(huge.body).toMatchObject({ error: { param: 'input_tokens' } });
    const amount = await reserve({ amount_usd: '0.01' });
    const usage = await settle(String(amount.body.reservation_id), 'commit', {
      usage: { input_tokens: 1, output_tokens: 1 },
    });
    expect(usage.status).toBe(400);
    expect(usage.body).toMatchObject({ error: { param: 'usage' } });
  });

  it.each([
    [{ amount_usd: '-1' }, 'amount_usd'],
    [{ amount_usd: '0.1', model: 'gpt-4o' }, null],
    [{ model: 'gpt-4o', input_tokens: 1.5, max_output_tokens: 1 }, 'input_tokens'],
    [{ model: 'gpt-4o', input_tokens: 1 }, 'max_output_tokens'],
    [{ amount_usd: '0.1', ttl: '3d' }, 'ttl'],
    [{ amount_usd: '0.1', run_id: 'no spaces' }, 'run_id'],
    [{ amount_usd: '0.1', user: 'u1' }, 'user'],
  ])('refuses %j with a 400 naming %s', async (body, param) => {
    const refused = await reserve(body);
    expect(refused.status).toBe(400);
    expect((refused.body.error as Body).param).toBe(param);
  });
});

describe('idempotency and ownership', () => {
  it('answers the same live reservation for a repeated Idempotency-Key (200, one hold)', async () => {
    const headers = { 'idempotency-key': 'tool-call-42' };
    const first = await reserve({ run_id: 'plane-idem', amount_usd: '0.20' }, { headers });
    const second = await reserve({ run_id: 'plane-idem', amount_usd: '0.20' }, { headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      reservation_id: first.body.reservation_id,
      decision_id: first.body.decision_id,
      reused: true,
    });
    expect(second.headers.get('x-budget-reservation-id')).toBe(first.body.reservation_id);
    expect(await runView(runcap, 'plane-idem')).toMatchObject({ reservedMicros: 200_000 });
    // Another key's identical Idempotency-Key is its own reservation.
    const other = await reserve({ run_id: 'plane-idem-bob', amount_usd: '0.20' }, { key: 'sk-plane-bob', headers });
    expect(other.status).toBe(201);
    expect(other.body.reservation_id).not.toBe(first.body.reservation_id);
  });

  it('hides another principal’s reservation (404) and lets the admin read and release it', async () => {
    const held = await reserve({ run_id: 'plane-owned', amount_usd: '0.05' });
    const id = String(held.body.reservation_id);
    for (const path of [`/budget/reservations/${id}`]) {
      expect((await api(runcap.url, 'GET', path, { key: 'sk-plane-bob' })).status).toBe(404);
    }
    expect((await settle(id, 'commit', { amount_usd: '0.01' }, 'sk-plane-bob')).status).toBe(404);
    expect((await settle(id, 'release', undefined, 'sk-plane-bob')).status).toBe(404);
    expect((await settle('rsv_unknown', 'release')).status).toBe(404);
    const read = await api(runcap.url, 'GET', `/budget/reservations/${id}`, { key: ADMIN });
    expect(read.body).toMatchObject({ reservation_id: id, state: 'forwarded', amount_usd: '0.05' });
    expect((await settle(id, 'release', undefined, ADMIN)).body).toMatchObject({ state: 'released' });
    const adminReserve = await reserve({ amount_usd: '0.01' }, { key: ADMIN });
    expect(adminReserve.status).toBe(403);
    expect(adminReserve.body).toMatchObject({ code: 'forbidden' });
  });

  it('refuses to settle a proxied call’s hold from the plane', async () => {
    const call = await chat(runcap.url, KEY, 'plane-proxy');
    expect(call.status).toBe(200);
    const id = call.headers.get('x-budget-reservation-id') ?? '';
    const refused = await settle(id, 'release');
    expect(refused.status).toBe(409);
    expect(String(refused.body.detail)).toContain('proxied');
  });

  it('a forgotten hold expires charged in full (the caller may have spent it); a late commit reconciles it', async () => {
    const held = await reserve({ run_id: 'plane-expire', amount_usd: '0.40', ttl: '1s' });
    const id = String(held.body.reservation_id);
    offsetMs = 60_000; // past ttl + skew tolerance for the sweeper (it runs every second)
    try {
      await waitFor(
        () => api(runcap.url, 'GET', `/budget/reservations/${id}`, { key: KEY }),
        (r) => r.body.state === 'expired',
      );
    } finally {
      offsetMs = 0;
    }
    expect(await runView(runcap, 'plane-expire')).toMatchObject({ reservedMicros: 0, committedMicros: 400_000 });
    const record = await waitFor(
      () => decisionOf(runcap, String(held.body.decision_id)),
      (r) => r.state === 'expired',
    );
    expect(record).toMatchObject({ actual_usd: '0.40', usage_source: 'expired' });
    const late = await settle(id, 'commit', { amount_usd: '0.10' });
    expect(late.body).toMatchObject({ state: 'reconciled', actual_usd: '0.10', usage_source: 'caller' });
    expect(await runView(runcap, 'plane-expire')).toMatchObject({ reservedMicros: 0, committedMicros: 100_000 });
  });
});
