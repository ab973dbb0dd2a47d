// E2E: spend attribution (GET /budget/spend) as JSON and RFC 4180 CSV, per principal and for the admin.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { parseCsv } from './support/csv-parse.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const ALICE = 'rk-alice-secret';
const BOB = 'rk-bob-secret';
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

let fake: FakeUpstream;
let runcap: TestRuncap;
let startedMs = 0;

type Row = {
  group: string | null;
  cost_usd: string;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
};
type Report = { group_by: string; from: string; to: string; rows: Row[]; total_usd: string; total_calls: number };

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      admin_token: ADMIN,
      tenants: { default: {}, acme: {} },
      keys: [
        { id: 'k_alice', sha256: sha(ALICE), tenant: 'default', user: 'alice', team: 'research' },
        { id: 'k_bob', sha256: sha(BOB), tenant: 'acme', user: 'bob', team: 'sales' },
      ],
    },
  });
  startedMs = Date.now() - 1;
  // gpt-4o-mini: 10 in + 20 out = 14 micro-USD; gpt-4o: 225 micro-USD (fake upstream usage).
  for (const [key, run, model, feature] of [
    [ALICE, 'sp-1', 'gpt-4o-mini', 'summarize'],
    [ALICE, 'sp-1', 'gpt-4o-mini', 'summarize'],
    [ALICE, 'sp-2', 'gpt-4o', null],
    [BOB, 'sp-3', 'gpt-4o-mini', 'a,"b"'],
  ] as const) {
    const response = await chat(runcap.url, key, run, {
      model,
      ...(feature ? { headers: { 'x-budget-feature': feature } } : {}),
    });
    expect(response.status).toBe(200);
  }
  const held = await api(runcap.url, 'POST', '/budget/reservations', {
    key: ALICE,
    body: { run_id: 'sp-1', amount_usd: '0.50', feature: 'tools' },
  });
  await api(runcap.url, 'POST', `/budget/reservations/${String(held.body.reservation_id)}/commit`, {
    key: ALICE,
    body: { amount_usd: '0.50' },
  });
  await runcap.server.deps.tasks.drain(5_000);
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const spend = (query: string, key: string = ALICE, accept?: string) =>
  api<Report>(runcap.url, 'GET', `/budget/spend?${query}`, { key, ...(accept ? { headers: { accept } } : {}) });

const summary = (rows: readonly Row[]) => rows.map((r) => [r.group, r.cost_usd, r.calls]);

describe('GET /budget/spend for a principal', () => {
  it('groups its own committed spend by model with exact decimal totals and token counts', async () => {
    const report = await spend('group_by=model');
    expect(report.status).toBe(200);
    expect(report.body.group_by).toBe('model');
    expect(summary(report.body.rows)).toEqual([
      ['(amount)', '0.50', 1],
      ['gpt-4o', '0.000225', 1],
      ['gpt-4o-mini', '0.000028', 2],
    ]);
    expect(report.body.rows[2]).toMatchObject({
      input_tokens: 20,
      output_tokens: 40,
      cached_input_tokens: 0,
      reasoning_tokens: 0,
    });
    expect(report.body.total_usd).toBe('0.500253');
    expect(report.body.total_calls).toBe(4);
  });

  it.each([
    [
      'run',
      [
        ['sp-1', '0.500028', 3],
        ['sp-2', '0.000225', 1],
      ],
    ],
    ['key', [['k_alice', '0.500253', 4]]],
    ['user', [['alice', '0.500253', 4]]],
    ['team', [['research', '0.500253', 4]]],
    [
      'feature',
      [
        ['tools', '0.50', 1],
        [null, '0.000225', 1],
        ['summarize', '0.000028', 2],
      ],
    ],
  ])('groups by %s', async (groupBy, expected) => {
    const report = await spend(`group_by=${groupBy}`);
    expect(summary(report.body.rows)).toEqual(expected);
  });

  it('restricts to one run with run_id', async () => {
    const report = await spend('group_by=model&run_id=sp-2');
    expect(summary(report.body.rows)).toEqual([['gpt-4o', '0.000225', 1]]);
  });

  it('honours from/to as ISO-8601 or epoch milliseconds, defaulting to the last 30 days', async () => {
    const all = await spend('group_by=key');
    expect(Date.parse(all.body.to) - Date.parse(all.body.from)).toBe(30 * 86_400_000);
    const isoWindow = await spend(
      `group_by=key&from=${new Date(startedMs).toISOString()}&to=${new Date(Date.now() + 1000).toISOString()}`,
    );
    expect(isoWindow.body.total_usd).toBe('0.500253');
    const before = await spend(`group_by=key&from=${startedMs - 86_400_000}&to=${startedMs}`);
    expect(before.body).toMatchObject({ rows: [], total_usd: '0.00', total_calls: 0 });
  });

  it.each([
    ['group_by=tenant', 'group_by'],
    ['from=yesterday', 'from'],
    ['to=1e12', 'to'],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['run_id=bad%20id', 'run_id'],
  ])('refuses %s with 400 naming %s', async (query, param) => {
    const refused = await api(runcap.url, 'GET', `/budget/spend?${query}`, { key: ALICE });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { param } });
  });

  it('never shows another key’s spend: naming it is 403, and bob sees only his own', async () => {
    const refused = await api(runcap.url, 'GET', '/budget/spend?group_by=key&key_id=k_bob', { key: ALICE });
    expect(refused.status).toBe(403);
    const bob = await spend('group_by=key', BOB);
    expect(summary(bob.body.rows)).toEqual([['k_bob', '0.000014', 1]]);
    expect((await api(runcap.url, 'GET', '/budget/spend')).status).toBe(401);
  });
});

describe('GET /budget/spend for the admin', () => {
  it('sees every tenant, or one tenant / key when asked', async () => {
    const all = await spend('group_by=key', ADMIN);
    expect(summary(all.body.rows)).toEqual([
      ['k_alice', '0.500253', 4],
      ['k_bob', '0.000014', 1],
    ]);
    expect(all.body.total_usd).toBe('0.500267');
    const acme = await spend('group_by=user&tenant=acme', ADMIN);
    expect(summary(acme.body.rows)).toEqual([['bob', '0.000014', 1]]);
    const run = await spend('group_by=model&run_id=sp-1', ADMIN);
    expect(summary(run.body.rows)).toEqual([
      ['(amount)', '0.50', 1],
      ['gpt-4o-mini', '0.000028', 2],
    ]);
  });
});

describe('CSV', () => {
  it('answers RFC 4180 CSV for Accept: text/csv with the same rows and values as the JSON', async () => {
    const json = await spend('group_by=feature', ADMIN);
    const csv = await spend('group_by=feature', ADMIN, 'text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.text.endsWith('\r\n')).toBe(true);
    expect(csv.text).toContain('"a,""b"""');
    const records = parseCsv(csv.text);
    expect(records[0]).toEqual([
      'group',
      'cost_usd',
      'calls',
      'input_tokens',
      'output_tokens',
      'cached_input_tokens',
      'reasoning_tokens',
    ]);
    const expected = json.body.rows.map((row) => [
      row.group ?? '',
      row.cost_usd,
      String(row.calls),
      String(row.input_tokens),
      String(row.output_tokens),
      String(row.cached_input_tokens),
      String(row.reasoning_tokens),
    ]);
    expect(records.slice(1)).toEqual(expected);
    expect(records.slice(1).map((r) => r[0])).toContain('a,"b"');
  });

  it('keeps JSON when the client prefers it, and also answers ?format=csv', async () => {
    const preferJson = await spend('group_by=key', ALICE, 'application/json, text/csv;q=0.5');
    expect(preferJson.headers.get('content-type')).toMatch(/application\/json/);
    const format = await spend('group_by=key&format=csv', ALICE);
    expect(parseCsv(format.text)).toEqual([
      ['group', 'cost_usd', 'calls', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'reasoning_tokens'],
      ['k_alice', '0.500253', '4', '30', '60', '0', '0'],
    ]);
  });
});
