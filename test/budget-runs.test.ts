// E2E: runs on the budget API (POST/GET /budget/runs, close), over real sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const ADMIN = 'admin-token-for-tests-0123456789';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      admin_token: ADMIN,
      tenants: {
        default: {
          run: { default_limit_usd: '1.00', max_limit_usd: '5.00' },
          limits: { key: { limit_usd: '10.00', window: '1d' } },
        },
      },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

type Scope = {
  type: string;
  id: string;
  limit_usd: string | null;
  committed_usd: string;
  reserved_usd: string;
  remaining_usd: string | null;
};
type Run = Record<string, unknown> & { id: string; scopes: Scope[]; models_used: unknown[] };

describe('POST /budget/runs', () => {
  it('creates a run with its ceiling, tags and idle TTL, and reports every scope it draws on', async () => {
    const created = await api<Run>(runcap.url, 'POST', '/budget/runs', {
      key: 'sk-runs-alice',
      body: { id: 'run-created', limit_usd: '2.50', tags: { ticket: 'ENG-1', agent: 'triage' }, idle_ttl: '2h' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'run-created',
      tenant: 'default',
      key_id: passthroughKeyId('sk-runs-alice'),
      state: 'open',
      active: true,
      limit_usd: '2.50',
      committed_usd: '0.00',
      reserved_usd: '0.00',
      remaining_usd: '2.50',
      tags: { ticket: 'ENG-1', agent: 'triage' },
      idle_ttl_ms: 7_200_000,
      calls: 0,
      models_used: [],
      closed_at: null,
    });
    expect(created.body.scopes.map((s) => [s.type, s.limit_usd])).toEqual([
      ['run', '2.50'],
      ['key', '10.00'],
    ]);
  });

  it("answers 409 conflict for an id the caller already has, and 404 (as GET does) for another principal's", async () => {
    const again = await api(runcap.url, 'POST', '/budget/runs', { key: 'sk-runs-alice', body: { id: 'run-created' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'conflict', error: { param: 'id' } });
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    const other = await api(runcap.url, 'POST', '/budget/runs', { key: 'sk-runs-bob', body: { id: 'run-created' } });
    const otherGet = await api(runcap.url, 'GET', '/budget/runs/run-created', { key: 'sk-runs-bob' });
    const missingGet = await api(runcap.url, 'GET', '/budget/runs/run-never-made', { key: 'sk-runs-bob' });
    expect([other.status, otherGet.status, missingGet.status]).toEqual([404, 404, 404]);
    expect(other.body).toMatchObject({ code: 'not_found' });
    expect(otherGet.body).toMatchObject({ code: 'not_found' });
    // The run is untouched: still Alice's, with her ceiling.
    const mine = await api<Run>(runcap.url, 'GET', '/budget/runs/run-created', { key: 'sk-runs-alice' });
    expect(mine.body.key_id).toBe(passthroughKeyId('sk-runs-alice'));
  });

  it('issues an id when none is given and applies the tenant default ceiling', async () => {
    const created = await api<Run>(runcap.url, 'POST', '/budget/runs', { key: 'sk-runs-alice', body: {} });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^run_[0-9A-Z]{26}$/);
    expect(created.body.limit_usd).toBe('1.00');
  });

  it.each([
    [{ limit_usd: '5.01' }, 400, 'run_budget_above_max', 'limit_usd'],
    [{ limit_usd: '2.5e0' }, 400, 'invalid_request', 'limit_usd'],
    [{ limit_usd: 2.5 }, 400, 'invalid_request', 'limit_usd'],
    [{ id: 'bad id!' }, 400, 'invalid_run_id', 'id'],
    [{ idle_ttl: 'forever' }, 400, 'invalid_request', 'idle_ttl'],
    [{ tags: { ok: 1 } }, 400, 'invalid_request', 'tags.ok'],
    [{ budget: '1.00' }, 400, 'invalid_request', null],
  ])('refuses %j with %i %s naming %s', async (body, status, code, param) => {
    const refused = await api(runcap.url, 'POST', '/budget/runs', { key: 'sk-runs-alice', body });
    expect(refused.status).toBe(status);
    expect(refused.body).toMatchObject({ code, error: { param } });
  });

  it('refuses a body that is not JSON, and a caller without a key', async () => {
    const notJson = await api(runcap.url, 'POST', '/budget/runs', { key: 'sk-runs-alice', body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'invalid_request' });
    const anonymous = await api(runcap.url, 'POST', '/budget/runs', { body: {} });
    expect(anonymous.status).toBe(401);
  });

  it('lets the admin create a run bound to a key (key_id required), which that key then uses', async () => {
    const missing = await api(runcap.url, 'POST', '/budget/runs', { key: ADMIN, body: { id: 'run-by-admin' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { param: 'key_id' } });
    const keyId = passthroughKeyId('sk-runs-carol');
    const created = await api<Run>(runcap.url, 'POST', '/budget/runs', {
      key: ADMIN,
      body: { id: 'run-by-admin', key_id: keyId, limit_usd: '0.50' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant: 'default', key_id: keyId, limit_usd: '0.50' });
    const call = await chat(runcap.url, 'sk-runs-carol', 'run-by-admin');
    expect(call.status).toBe(200);
    const intruder = await chat(runcap.url, 'sk-runs-dave', 'run-by-admin');
    expect(intruder.status).toBe(403);
    const unknownTenant = await api(runcap.url, 'POST', '/budget/runs', {
      key: ADMIN,
      body: { tenant: 'nope', key_id: keyId },
    });
    expect(unknownTenant.status).toBe(400);
    expect(unknownTenant.body).toMatchObject({ error: { param: 'tenant' } });
  });

  it('refuses a principal that names another key', async () => {
    const refused = await api(runcap.url, 'POST', '/budget/runs', {
      key: 'sk-runs-alice',
      body: { key_id: 'k_other' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden', error: { param: 'key_id' } });
  });
});

describe('GET /budget/runs/{id}', () => {
  it('reports committed spend, calls and models used after proxied calls; the POST ceiling wins over the header', async () => {
    await api(runcap.url, 'POST', '/budget/runs', {
      key: 'sk-runs-alice',
      body: { id: 'run-spend', limit_usd: '2.00' },
    });
    // gpt-4o-mini: 10 in x $0.15/1M + 20 out x $0.60/1M = 13.5 -> 14 micro-USD per call.
    expect(
      (await chat(runcap.url, 'sk-runs-alice', 'run-spend', { headers: { 'x-run-budget-usd': '4.00' } })).status,
    ).toBe(200);
    expect((await chat(runcap.url, 'sk-runs-alice', 'run-spend')).status).toBe(200);
    // gpt-4o: 10 x $2.50/1M + 20 x $10/1M = 225 micro-USD.
    expect((await chat(runcap.url, 'sk-runs-alice', 'run-spend', { model: 'gpt-4o' })).status).toBe(200);
    await runcap.server.deps.tasks.drain(5_000);

    const report = await api<Run>(runcap.url, 'GET', '/budget/runs/run-spend', { key: 'sk-runs-alice' });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      id: 'run-spend',
      limit_usd: '2.00',
      committed_usd: '0.000253',
      reserved_usd: '0.00',
      remaining_usd: '1.999747',
      calls: 3,
      models_used: [
        { model: 'gpt-4o', calls: 1, cost_usd: '0.000225' },
        { model: 'gpt-4o-mini', calls: 2, cost_usd: '0.000028' },
      ],
    });
    const run = report.body.scopes.find((s) => s.type === 'run');
    expect(run).toMatchObject({ committed_usd: '0.000253', limit_usd: '2.00' });
    const key = report.body.scopes.find((s) => s.type === 'key');
    expect(key?.id).toBe(passthroughKeyId('sk-runs-alice'));
    expect(Date.parse(String(report.body.last_activity_at))).toBeGreaterThanOrEqual(
      Date.parse(String(report.body.first_activity_at)),
    );
  });

  it('answers 404 to another principal (existence does not leak) and 200 to the admin', async () => {
    const other = await api(runcap.url, 'GET', '/budget/runs/run-spend', { key: 'sk-runs-bob' });
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ code: 'not_found' });
    const missing = await api(runcap.url, 'GET', '/budget/runs/run-never', { key: 'sk-runs-bob' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found' });
    const admin = await api<Run>(runcap.url, 'GET', '/budget/runs/run-spend', { key: ADMIN });
    expect(admin.status).toBe(200);
    expect(admin.body.committed_usd).toBe('0.000253');
    const otherTenant = await api(runcap.url, 'GET', '/budget/runs/run-spend?tenant=elsewhere', { key: ADMIN });
    expect(otherTenant.status).toBe(404);
  });

  it('lists the caller its own runs only, newest first', async () => {
    const mine = await api<{ runs: { id: string }[] }>(runcap.url, 'GET', '/budget/runs?limit=50', {
      key: 'sk-runs-alice',
    });
    expect(mine.status).toBe(200);
    const ids = mine.body.runs.map((r) => r.id);
    expect(ids).toContain('run-spend');
    expect(ids).toContain('run-created');
    expect(ids).not.toContain('run-by-admin');
    const bad = await api(runcap.url, 'GET', '/budget/runs?limit=0', { key: 'sk-runs-alice' });
    expect(bad.status).toBe(400);
  });
});

describe('POST /budget/runs/{id}/close', () => {
  it('refuses later calls with 403 run_closed while a live stream on the run still settles normally', async () => {
    await api(runcap.url, 'POST', '/budget/runs', {
      key: 'sk-runs-alice',
      body: { id: 'run-close', limit_usd: '1.00' },
    });
    const stream = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-runs-alice',
        'x-run-id': 'run-close',
        'content-type': 'application/json',
        'x-fake-mode': 'slow',
      },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 50,
        stream: true,
      }),
    });
    expect(stream.status).toBe(200);
    const during = await api<Run>(runcap.url, 'GET', '/budget/runs/run-close', { key: 'sk-runs-alice' });
    expect(during.body.reserved_usd).not.toBe('0.00');

    const closed = await api<Run>(runcap.url, 'POST', '/budget/runs/run-close/close', { key: 'sk-runs-alice' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ state: 'closed', active: false, idle_expires_at: null });
    expect(typeof closed.body.closed_at).toBe('string');

    expect(await stream.text()).toContain('[DONE]');
    await runcap.server.deps.tasks.drain(5_000);
    const after = await api<Run>(runcap.url, 'GET', '/budget/runs/run-close', { key: 'sk-runs-alice' });
    expect(after.body).toMatchObject({ state: 'closed', committed_usd: '0.000014', reserved_usd: '0.00', calls: 1 });

    const refused = await chat(runcap.url, 'sk-runs-alice', 'run-close');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_closed' });
    const again = await api<Run>(runcap.url, 'POST', '/budget/runs/run-close/close', { key: 'sk-runs-alice' });
    expect(again.status).toBe(200);
    expect(again.body.closed_at).toBe(closed.body.closed_at);
    const other = await api(runcap.url, 'POST', '/budget/runs/run-close/close', { key: 'sk-runs-bob' });
    expect(other.status).toBe(404);
  });
});
