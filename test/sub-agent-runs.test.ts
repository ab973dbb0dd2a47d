// E2E: sub-agent runs (docs/design.md §2). X-Parent-Run-Id on the request that creates a run (or
// `parent` in POST /budget/runs) makes it a child: each of its calls holds against its own ceiling
// and every ancestor's in one reserve; an ancestor that does not fit answers 402
// parent_run_ceiling_reached; the child's ceiling defaults to the parent's remaining budget; the
// parent's report sums its children. Bad input is a clear 4xx and writes nothing.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { api, chat, type ApiResponse } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const KEY = 'sk-subagents';
const OTHER_KEY = 'sk-subagents-other';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { tenants: { default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00' } } } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

const child = (runId: string, parent: string, extra: Record<string, string> = {}, key = KEY) =>
  chat(runcap.url, key, runId, { headers: { 'x-parent-run-id': parent, ...extra }, maxTokens: 1_000 });
const report = async (runId: string) =>
  (await api<Record<string, unknown>>(runcap.url, 'GET', `/budget/runs/${runId}`, { key: KEY })).body;

/** The worst-case hold of the standard call, learned from one call's decision record. */
async function holdOf(response: ApiResponse): Promise<number> {
  return parseUsd((await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '')).estimate_usd);
}

describe('a child run', () => {
  it("holds against its parent's ceiling too; its ceiling defaults to what the parent has left", async () => {
    const first = await chat(runcap.url, KEY, 'sa-parent', { headers: { 'x-run-budget-usd': '0.50' } });
    expect(first.status).toBe(200);
    const parentSpent = (await runView(runcap, 'sa-parent')).committedMicros;

    const called = await child('sa-child', 'sa-parent');
    expect(called.status).toBe(200);
    expect(fake.requests.at(-1)?.headers['x-parent-run-id']).toBeUndefined(); // runcap's own header stays with runcap
    const childRun = await runcap.store.runs.get('default', 'sa-child');
    expect(childRun).toMatchObject({ parentRunId: 'sa-parent', depth: 1, limitMicros: parseUsd('0.50') - parentSpent });
    const childSpent = (await runView(runcap, 'sa-child')).committedMicros;
    expect(childSpent).toBeGreaterThan(0);
    // The parent's scope carries the child's spend.
    expect((await runView(runcap, 'sa-parent')).committedMicros).toBe(parentSpent + childSpent);
    // Later calls need not repeat the header; naming the same parent is fine, another one is not.
    expect((await chat(runcap.url, KEY, 'sa-child')).status).toBe(200);
    expect((await child('sa-child', 'sa-parent')).status).toBe(200);
    expect((await child('sa-child', 'sa-missing-parent')).status).toBe(404);
    await chat(runcap.url, KEY, 'sa-root-2');
    const reparent = await child('sa-child', 'sa-root-2');
    expect(reparent.status).toBe(409);
    expect(reparent.body).toMatchObject({ code: 'conflict', error: { param: 'X-Parent-Run-Id' } });
  });

  it("402 parent_run_ceiling_reached when an ancestor's ceiling is what does not fit", async () => {
    const probe = await chat(runcap.url, KEY, 'sa-probe', { maxTokens: 1_000 });
    const hold = await holdOf(probe);
    await api(runcap.url, 'POST', '/budget/runs', {
      key: KEY,
      body: { id: 'sa-tight', limit_usd: formatUsd(hold + Math.floor(hold / 2)) },
    });
    // The first child spends about a whole worst case; half of one is left in the parent.
    const spent = await child('sa-tight-a', 'sa-tight', { 'x-run-budget-usd': '5.00', 'x-fake-output-tokens': '1000' });
    expect(spent.status).toBe(200);
    const refused = await child('sa-tight-b', 'sa-tight', { 'x-run-budget-usd': '5.00' });
    expect(refused.status).toBe(402);
    expect(refused.headers.get('x-budget-blocking-scope')).toBe('parent_run');
    expect(refused.headers.get('x-budget-decision')).toBe('block');
    expect(refused.body).toMatchObject({
      code: 'parent_run_ceiling_reached',
      budget: { scope: 'parent_run', scope_id: 'sa-tight', run_id: 'sa-tight-b' },
    });
    expect(String(refused.body['detail'])).toContain('parent run "sa-tight"');
    const blocks = await runcap.server.deps.metrics.parentRunBlocks.get();
    expect(blocks.values[0]?.value).toBeGreaterThanOrEqual(1);
  });

  it("the parent's report sums its children's spend and lists them", async () => {
    await chat(runcap.url, KEY, 'sa-report', { headers: { 'x-run-budget-usd': '2.00' } });
    await child('sa-report-a', 'sa-report');
    await child('sa-report-b', 'sa-report');
    await child('sa-report-b1', 'sa-report-b');
    const views = await Promise.all(
      ['sa-report', 'sa-report-a', 'sa-report-b', 'sa-report-b1'].map((id) => runView(runcap, id)),
    );
    const [parent, a, b, b1] = views.map((view) => view.committedMicros) as [number, number, number, number];
    const parentReport = await report('sa-report');
    expect(parentReport).toMatchObject({
      parent_run_id: null,
      depth: 0,
      committed_usd: formatUsd(parent),
      calls: 4,
      children: [
        { id: 'sa-report-a', committed_usd: formatUsd(a) },
        { id: 'sa-report-b', committed_usd: formatUsd(b) },
      ],
    });
    expect(b).toBe(b1 + ((await runcap.store.spend.spend(oneRun('sa-report-b')))[0]?.costMicros ?? 0));
    expect(parent).toBeGreaterThan(a + b);
    const models = parentReport['models_used'] as { calls: number; cost_usd: string }[];
    expect(models.reduce((sum, row) => sum + parseUsd(row.cost_usd), 0)).toBe(parent);
    const childReport = await report('sa-report-b1');
    expect(childReport).toMatchObject({ parent_run_id: 'sa-report-b', depth: 2, calls: 1, children: [] });
    expect((childReport['scopes'] as { type: string; id: string }[]).map((scope) => scope.id)).toEqual([
      'sa-report-b1',
      'sa-report-b',
      'sa-report',
    ]);
  });

  it('POST /budget/runs with `parent` creates a child; a closed parent stops its children', async () => {
    await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body: { id: 'sa-api-root', limit_usd: '3.00' } });
    const created = await api(runcap.url, 'POST', '/budget/runs', {
      key: KEY,
      body: { id: 'sa-api-child', parent: 'sa-api-root' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ parent_run_id: 'sa-api-root', depth: 1, limit_usd: '3.00' });
    expect((await chat(runcap.url, KEY, 'sa-api-child')).status).toBe(200);
    await api(runcap.url, 'POST', '/budget/runs/sa-api-root/close', { key: KEY });
    const closed = await chat(runcap.url, KEY, 'sa-api-child');
    expect(closed.status).toBe(403);
    expect(closed.body).toMatchObject({ code: 'run_closed' });
    expect(String(closed.body['detail'])).toContain('sa-api-root');
  });
});

describe('5 children racing one parent', () => {
  it('50 parallel calls are admitted exactly as the parent ceiling allows', async () => {
    const hold = await holdOf(await chat(runcap.url, KEY, 'sa-race-probe', { maxTokens: 1_000 }));
    const fit = 7;
    const ceiling = hold * fit + Math.floor(hold / 2);
    await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body: { id: 'sa-race', limit_usd: formatUsd(ceiling) } });
    const children = Array.from({ length: 5 }, (_, index) => `sa-race-${index}`);
    for (const id of children) {
      await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body: { id, parent: 'sa-race', limit_usd: '5.00' } });
    }
    const agents = children.map(
      (id) => new OpenAI({ baseURL: runcap.baseURL, apiKey: KEY, maxRetries: 2, defaultHeaders: { 'X-Run-Id': id } }),
    );
    fake.clearRequests();
    const outcomes = await Promise.all(
      agents.flatMap((agent) =>
        Array.from({ length: 10 }, () =>
          agent.chat.completions
            .create(
              { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1_000 },
              // In flight long enough that all 50 reserve before any settles.
              { headers: { 'x-fake-latency-ms': '3000' } },
            )
            .then(
              () => 'served',
              (error: unknown) =>
                error instanceof OpenAI.APIError ? `${error.status}:${String(error.code)}` : 'error',
            ),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'served')).toHaveLength(fit);
    expect(outcomes.filter((outcome) => outcome === '402:parent_run_ceiling_reached')).toHaveLength(50 - fit);
    expect(fake.requests).toHaveLength(fit);
    const parent = await runView(runcap, 'sa-race');
    expect(parent.reservedMicros).toBe(0);
    expect(parent.committedMicros).toBeLessThanOrEqual(ceiling);
    const childViews = await Promise.all(children.map((id) => runView(runcap, id)));
    expect(childViews.reduce((sum, view) => sum + view.committedMicros, 0)).toBe(parent.committedMicros);
  });
});

describe('bad input: a clear 4xx, nothing written', () => {
  const expectNothingWritten = async (runId: string, parent: string | null, parentBefore: number | null) => {
    expect(await runcap.store.runs.get('default', runId)).toBeNull();
    if (parent !== null) expect((await runView(runcap, parent)).committedMicros).toBe(parentBefore);
    expect(fake.requests).toHaveLength(0);
  };

  it('non-positive limits, unknown parents, another principal, cycles, depth over 4', async () => {
    await chat(runcap.url, KEY, 'sa-bad-root');
    for (let depth = 1; depth <= 4; depth += 1) {
      expect((await child(`sa-bad-${depth}`, depth === 1 ? 'sa-bad-root' : `sa-bad-${depth - 1}`)).status).toBe(200);
    }
    fake.clearRequests();
    const rootBefore = (await runView(runcap, 'sa-bad-root')).committedMicros;
    const cases: [string, Record<string, string>, number, string, string][] = [
      [
        'sa-bad-zero',
        { 'x-parent-run-id': 'sa-bad-root', 'x-run-budget-usd': '0' },
        400,
        'invalid_request',
        'X-Run-Budget-USD',
      ],
      [
        'sa-bad-negative',
        { 'x-parent-run-id': 'sa-bad-root', 'x-run-budget-usd': '-1.00' },
        400,
        'invalid_request',
        'X-Run-Budget-USD',
      ],
      ['sa-bad-unknown', { 'x-parent-run-id': 'sa-no-such-run' }, 404, 'not_found', 'X-Parent-Run-Id'],
      ['sa-bad-id', { 'x-parent-run-id': 'not a run id!' }, 400, 'invalid_run_id', 'X-Parent-Run-Id'],
      ['sa-bad-self', { 'x-parent-run-id': 'sa-bad-self' }, 400, 'invalid_request', 'X-Parent-Run-Id'],
      ['sa-bad-deep', { 'x-parent-run-id': 'sa-bad-4' }, 400, 'invalid_request', 'X-Parent-Run-Id'],
    ];
    for (const [runId, headers, status, code, param] of cases) {
      const refused = await chat(runcap.url, KEY, runId, { headers });
      expect({ runId, status: refused.status, code: refused.body['code'] }).toEqual({ runId, status, code });
      expect((refused.body['error'] as { param: string }).param).toBe(param);
      expect(refused.headers.get('x-should-retry')).toBe('false');
      await expectNothingWritten(runId, 'sa-bad-root', rootBefore);
    }
    const foreign = await child('sa-bad-foreign', 'sa-bad-root', {}, OTHER_KEY);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ code: 'run_principal_mismatch', error: { param: 'X-Parent-Run-Id' } });
    await expectNothingWritten('sa-bad-foreign', 'sa-bad-root', rootBefore);

    // The root made a sub-agent of its own great-grandchild: a cycle; the root keeps no parent.
    const cycle = await child('sa-bad-root', 'sa-bad-3');
    expect(cycle.status).toBe(400);
    expect(String(cycle.body['detail'])).toContain('one of its sub-agents');
    expect((await runcap.store.runs.get('default', 'sa-bad-root'))?.parentRunId).toBeNull();
    expect((await runView(runcap, 'sa-bad-root')).committedMicros).toBe(rootBefore);
    expect(fake.requests).toHaveLength(0);
  });

  it('the same on POST /budget/runs', async () => {
    await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body: { id: 'sa-api-bad-root' } });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ id: 'sa-api-bad-1', parent: 'sa-api-bad-root', limit_usd: '0' }, 400, 'invalid_request'],
      [{ id: 'sa-api-bad-2', parent: 'sa-api-missing' }, 404, 'not_found'],
      [{ id: 'sa-api-bad-3', parent: 'sa-api-bad-3' }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const refused = await api(runcap.url, 'POST', '/budget/runs', { key: KEY, body });
      expect({ status: refused.status, code: refused.body['code'] }).toEqual({ status, code });
      expect(await runcap.store.runs.get('default', String(body['id']))).toBeNull();
    }
    const foreign = await api(runcap.url, 'POST', '/budget/runs', {
      key: OTHER_KEY,
      body: { id: 'sa-api-bad-4', parent: 'sa-api-bad-root' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ code: 'run_principal_mismatch', error: { param: 'parent' } });
    expect(await runcap.store.runs.get('default', 'sa-api-bad-4')).toBeNull();
  });
});

function oneRun(runId: string) {
  return {
    tenant: 'default',
    keyId: passthroughKeyId(KEY),
    runId,
    groupBy: 'run' as const,
    fromMs: 0,
    toMs: Number.MAX_SAFE_INTEGER,
  };
}
