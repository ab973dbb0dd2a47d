// E2E: the budget plane's listings over real sockets: GET /budget/runs (filters, newest activity
// first, cursor pages, who sees what) and GET /budget/runs/{id}/calls (a run's calls in order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const ADMIN = 'admin-token-for-listing-tests-0123';
const ALICE = 'sk-list-alice';
const BOB = 'sk-list-bob';
let fake: FakeUpstream;
let runcap: TestRuncap;

type RunItem = {
  id: string;
  key_id: string;
  state: string;
  limit_usd: string;
  committed_usd: string;
  reserved_usd: string;
  calls: number;
  models_used: { model: string; calls: number; cost_usd: string }[];
  last_activity_at: string;
};
type RunPage = { runs: RunItem[]; next_cursor: string | null };
type Call = Record<string, unknown> & {
  decision_id: string;
  decision: string;
  block: null | { code: string; alternatives: unknown[]; blocking_scope: unknown };
};
type CallPage = { run_id: string; calls: Call[]; next_cursor: string | null };

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { admin_token: ADMIN, tenants: { default: { run: { default_limit_usd: '1.00' } } } },
  });
  // Created in this order; each run's activity is its creation (a use within a minute is not re-recorded).
  expect((await chat(runcap.url, ALICE, 'list-a1')).status).toBe(200);
  expect((await chat(runcap.url, ALICE, 'list-a1', { model: 'gpt-4o' })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect((await chat(runcap.url, ALICE, 'list-a2')).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 5));
  // A run too small for its call: the call is refused.
  const blocked = await chat(runcap.url, ALICE, 'list-a3', {
    model: 'gpt-4o',
    maxTokens: 4000,
    headers: { 'x-run-budget-usd': '0.001' },
  });
  expect(blocked.status).toBe(402);
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect((await chat(runcap.url, BOB, 'list-b1')).status).toBe(200);
  expect((await api(runcap.url, 'POST', '/budget/runs/list-a2/close', { key: ALICE })).status).toBe(200);
  // Settlements are written behind the responses: wait until both calls of list-a1 are settled.
  await waitFor(
    () => api<CallPage>(runcap.url, 'GET', '/budget/runs/list-a1/calls', { key: ALICE }),
    (page) => page.body.calls.length === 2 && page.body.calls.every((call) => call['cost_usd'] !== null),
  );
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const get = <T>(path: string, key: string = ALICE) => api<T>(runcap.url, 'GET', path, { key });

describe('GET /budget/runs', () => {
  it("lists the caller's runs newest activity first with their spend, as their reports have it", async () => {
    const page = await get<RunPage>('/budget/runs');
    expect(page.status).toBe(200);
    expect(page.body.runs.map((run) => run.id)).toEqual(['list-a3', 'list-a2', 'list-a1']);
    expect(page.body.next_cursor).toBeNull();
    const a1 = page.body.runs[2] as RunItem;
    const report = await get<Record<string, unknown>>('/budget/runs/list-a1');
    expect(a1).toMatchObject({
      key_id: passthroughKeyId(ALICE),
      state: 'open',
      limit_usd: '1.00',
      committed_usd: report.body['committed_usd'],
      reserved_usd: '0.00',
      calls: 2,
    });
    expect(a1.committed_usd).toMatch(/^\d+\.\d{2,6}$/);
    expect(a1.models_used.map((m) => m.model).sort()).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(page.body.runs[0]).toMatchObject({ id: 'list-a3', calls: 0, committed_usd: '0.00', limit_usd: '0.001' });
  });

  it('filters by state; a bad state, limit or cursor is a 400 naming the parameter', async () => {
    expect((await get<RunPage>('/budget/runs?state=closed')).body.runs.map((run) => run.id)).toEqual(['list-a2']);
    expect((await get<RunPage>('/budget/runs?state=open')).body.runs.map((run) => run.id)).toEqual([
      'list-a3',
      'list-a1',
    ]);
    for (const [query, param] of [
      ['state=running', 'state'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['cursor=%%%', 'cursor'],
      ['cursor=eyJ2IjoxfQ', 'cursor'],
    ] as const) {
      const bad = await get(`/budget/runs?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body, query).toMatchObject({ code: 'invalid_request', error: { param } });
    }
  });

  it('pages with an opaque cursor that only answers the query it came from', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 5; pages += 1) {
      const page: { status: number; body: RunPage } = await get<RunPage>(
        `/budget/runs?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(page.status).toBe(200);
      ids.push(...page.body.runs.map((run) => run.id));
      cursor = page.body.next_cursor;
      if (cursor === null) break;
    }
    expect(ids).toEqual(['list-a3', 'list-a2', 'list-a1']);
    const first = await get<RunPage>('/budget/runs?limit=1');
    const reused = await get(`/budget/runs?limit=1&state=open&cursor=${first.body.next_cursor}`);
    expect(reused.status).toBe(400);
    expect(reused.body).toMatchObject({ error: { param: 'cursor' } });
  });

  it('shows a key only its own runs; the admin sees every key and may filter by one', async () => {
    expect((await get<RunPage>('/budget/runs', BOB)).body.runs.map((run) => run.id)).toEqual(['list-b1']);
    const other = await get(`/budget/runs?key_id=${passthroughKeyId(BOB)}`);
    expect(other.status).toBe(403);
    const all = await get<RunPage>('/budget/runs', ADMIN);
    expect(all.body.runs.map((run) => run.id)).toEqual(['list-b1', 'list-a3', 'list-a2', 'list-a1']);
    const bobs = await get<RunPage>(`/budget/runs?key_id=${passthroughKeyId(BOB)}`, ADMIN);
    expect(bobs.body.runs.map((run) => run.id)).toEqual(['list-b1']);
    expect((await get<RunPage>('/budget/runs?tenant=elsewhere', ADMIN)).body.runs).toEqual([]);
  });
});

describe('GET /budget/runs/{id}/calls', () => {
  it("lists a run's calls in order with models, tokens, cost and usage source", async () => {
    const page = await get<CallPage>('/budget/runs/list-a1/calls');
    expect(page.status).toBe(200);
    expect(page.body.run_id).toBe('list-a1');
    const [first, second] = page.body.calls;
    expect(first).toMatchObject({
      endpoint: 'chat',
      decision: 'allow',
      requested_model: 'gpt-4o-mini',
      state: 'settled',
      usage_source: 'provider',
      block: null,
    });
    expect(second).toMatchObject({ requested_model: 'gpt-4o', decision: 'allow' });
    for (const call of page.body.calls) {
      expect(call['input_tokens']).toEqual(expect.any(Number));
      expect(call['output_tokens']).toEqual(expect.any(Number));
      expect(String(call['cost_usd'])).toMatch(/^\d+\.\d{2,6}$/);
    }
    expect(Date.parse(String(first?.['at']))).toBeLessThanOrEqual(Date.parse(String(second?.['at'])));
    const firstPage = await get<CallPage>('/budget/runs/list-a1/calls?limit=1');
    expect(firstPage.body.calls.map((call) => call.decision_id)).toEqual([first?.decision_id]);
    const next = await get<CallPage>(`/budget/runs/list-a1/calls?limit=1&cursor=${firstPage.body.next_cursor}`);
    expect(next.body.calls.map((call) => call.decision_id)).toEqual([second?.decision_id]);
    expect(next.body.next_cursor).toBeNull();
    const crossRun = await get(`/budget/runs/list-a2/calls?cursor=${firstPage.body.next_cursor}`);
    expect(crossRun.status).toBe(400);
  });

  it('shows a refused call with its code, the blocking scope and the alternatives offered', async () => {
    const page = await get<CallPage>('/budget/runs/list-a3/calls');
    expect(page.body.calls).toHaveLength(1);
    const [call] = page.body.calls;
    expect(call).toMatchObject({ decision: 'block', state: 'refused', requested_model: 'gpt-4o', cost_usd: null });
    expect(call?.block).toMatchObject({ code: 'run_ceiling_reached', blocking_scope: { type: 'run' } });
    expect(Array.isArray(call?.block?.alternatives)).toBe(true);
  });

  it("answers 404 for another principal's run and lets the admin read it", async () => {
    expect((await get('/budget/runs/list-a1/calls', BOB)).status).toBe(404);
    const admin = await get<CallPage>('/budget/runs/list-a1/calls', ADMIN);
    expect(admin.body.calls).toHaveLength(2);
  });
});
