// E2E: GET /metrics parsed with a strict Prometheus text parser after a known workload;
// counters move by exactly the expected amounts and agree with the ledger; labels stay bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passthroughKeyId } from '../src/auth.js';
import { parseUsd } from '../src/money/micros.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf } from './support/ledger-views.js';
import { parsePrometheusText, sumOf, type Family } from './support/prom-text.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const KEY = 'sk-metrics-key';
let fake: FakeUpstream;
let runcap: TestRuncap;
const heldDecisions: string[] = [];
const releasedDecisions: string[] = [];

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${runcap.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

const micros = (usd: number): number => Math.round(usd * 1e6);

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { ledger: { sweep_interval: '1s' }, tenants: { default: { run: { default_limit_usd: '1.00' } } } },
  });

  // 4 allowed chat calls that commit provider usage (14 micro-USD each), one of them streamed.
  for (let i = 0; i < 3; i += 1) {
    const ok = await chat(runcap.url, KEY, 'm-1');
    expect(ok.status).toBe(200);
    heldDecisions.push(ok.headers.get('x-budget-decision-id') ?? '');
  }
  const stream = await fetch(`${runcap.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'x-run-id': 'm-1', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 50,
      stream: true,
    }),
  });
  await stream.text();
  heldDecisions.push(stream.headers.get('x-budget-decision-id') ?? '');
  // 1 allowed call the provider fails: its hold is released.
  const failed = await chat(runcap.url, KEY, 'm-1', { headers: { 'x-fake-mode': 'error500' } });
  expect(failed.status).toBe(500);
  heldDecisions.push(failed.headers.get('x-budget-decision-id') ?? '');
  releasedDecisions.push(failed.headers.get('x-budget-decision-id') ?? '');
  // 2 blocks, 1 unknown price.
  for (let i = 0; i < 2; i += 1)
    expect((await chat(runcap.url, KEY, 'm-block', { headers: { 'x-run-budget-usd': '0.000001' } })).status).toBe(402);
  expect((await chat(runcap.url, KEY, 'm-1', { model: 'gpt-9-ultra' })).status).toBe(403);
  // Decision plane: one committed (0.25 held, 0.20 charged), one released, one blocked.
  const committed = await api(runcap.url, 'POST', '/budget/reservations', {
    key: KEY,
    body: { run_id: 'm-plane', amount_usd: '0.25' },
  });
  await api(runcap.url, 'POST', `/budget/reservations/${String(committed.body.reservation_id)}/commit`, {
    key: KEY,
    body: { amount_usd: '0.20' },
  });
  const released = await api(runcap.url, 'POST', '/budget/reservations', {
    key: KEY,
    body: { run_id: 'm-plane', amount_usd: '0.05' },
  });
  await api(runcap.url, 'POST', `/budget/reservations/${String(released.body.reservation_id)}/release`, { key: KEY });
  expect(
    (
      await api(runcap.url, 'POST', '/budget/reservations', {
        key: KEY,
        body: { run_id: 'm-plane', amount_usd: '5.00' },
      })
    ).status,
  ).toBe(402);
  heldDecisions.push(String(committed.body.decision_id), String(released.body.decision_id));
  releasedDecisions.push(String(released.body.decision_id));
  await runcap.server.deps.tasks.drain(5_000);
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

describe('/metrics', () => {
  it('counts decisions by outcome, endpoint and blocking scope', async () => {
    const m = await scrape();
    expect(sumOf(m, 'runcap_decisions_total', { decision: 'allow', endpoint: 'chat' })).toBe(5);
    expect(
      sumOf(m, 'runcap_decisions_total', {
        decision: 'block',
        endpoint: 'chat',
        blocking_scope: 'run',
        mode: 'hard_gate',
      }),
    ).toBe(2);
    expect(sumOf(m, 'runcap_decisions_total', { decision: 'allow', endpoint: 'reservations' })).toBe(2);
    expect(sumOf(m, 'runcap_decisions_total', { decision: 'block', endpoint: 'reservations' })).toBe(1);
    expect(sumOf(m, 'runcap_decisions_total')).toBe(10);
    expect(sumOf(m, 'runcap_price_unknown_total')).toBe(1);
    expect(
      sumOf(m, 'runcap_ledger_operation_duration_seconds_count', { backend: 'sqlite', operation: 'reserve' }),
    ).toBe(10);
    expect(sumOf(m, 'runcap_ledger_errors_total')).toBe(0);
  });

  it('moves the money counters by exactly what the ledger holds, commits and releases', async () => {
    const m = await scrape();
    const spend = await runcap.store.spend.spend({
      tenant: 'default',
      keyId: passthroughKeyId(KEY),
      groupBy: 'run',
      fromMs: 0,
      toMs: Date.now() + 1000,
    });
    const committedMicros = spend.reduce((sum, row) => sum + row.costMicros, 0);
    expect(committedMicros).toBe(4 * 14 + 200_000);
    expect(micros(sumOf(m, 'runcap_committed_usd_total'))).toBe(committedMicros);
    expect(micros(sumOf(m, 'runcap_committed_usd_total', { usage_source: 'provider' }))).toBe(4 * 14);
    expect(micros(sumOf(m, 'runcap_committed_usd_total', { usage_source: 'caller' }))).toBe(200_000);

    const estimate = async (id: string): Promise<number> =>
      parseUsd(String((await decisionOf(runcap, id)).estimate_usd));
    const held = (await Promise.all(heldDecisions.map(estimate))).reduce((a, b) => a + b, 0);
    const released = (await Promise.all(releasedDecisions.map(estimate))).reduce((a, b) => a + b, 0);
    expect(micros(sumOf(m, 'runcap_reserved_usd_total'))).toBe(held);
    expect(micros(sumOf(m, 'runcap_released_usd_total'))).toBe(released);
    expect(sumOf(m, 'runcap_overruns_total')).toBe(0);
    expect(sumOf(m, 'runcap_live_reservations')).toBe(0);
  });

  it('observes run utilisation on every admission and samples the active runs from the ledger', async () => {
    const m = await scrape();
    expect(sumOf(m, 'runcap_run_budget_utilization_ratio_count')).toBe(7);
    const sum = sumOf(m, 'runcap_run_budget_utilization_ratio_sum');
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(7);
    // m-1, m-block and m-plane were used within their idle TTL; the sweeper samples every second.
    const active = await waitFor(
      async () => sumOf(await scrape(), 'runcap_active_runs'),
      (value) => value === 3,
    );
    expect(active).toBe(3);
  });

  it('keeps label cardinality bounded: no run, key, reservation or decision id in any label', async () => {
    const m = await scrape();
    const allowedLabels = new Set([
      'decision',
      'mode',
      'blocking_scope',
      'endpoint',
      'usage_source',
      'charged',
      'backend',
      'operation',
      'status',
      'reason',
      'le',
      'quantile',
      'version',
      'major',
      'minor',
      'patch',
      'space',
      'type',
      'kind',
    ]);
    const forbidden = ['m-1', 'm-block', 'm-plane', passthroughKeyId(KEY), KEY];
    let runcapFamilies = 0;
    for (const family of m.values()) {
      if (family.name.startsWith('runcap_') && !family.name.startsWith('runcap_process_')) {
        runcapFamilies += 1;
        expect(family.help, `${family.name} has HELP`).toBeTruthy();
      }
      for (const sample of family.samples) {
        for (const [name, value] of Object.entries(sample.labels)) {
          expect(allowedLabels.has(name), `${sample.name} label ${name}`).toBe(true);
          expect(
            forbidden.includes(value) || /^(run_|rsv_|bdgdec_|key_)/.test(value),
            `${sample.name}{${name}="${value}"}`,
          ).toBe(false);
        }
      }
    }
    expect(runcapFamilies).toBeGreaterThanOrEqual(15);
  });
});

describe('the strict exposition parser', () => {
  it('rejects malformed expositions', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow();
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n')).toThrow(/duplicate/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).toThrow(/bad value/);
    expect(() =>
      parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n'),
    ).toThrow(/cumulative/);
    expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 1\nh_sum 1\n')).toThrow(
      /_count/,
    );
    const ok = parsePrometheusText('# HELP x a \\\\ b\n# TYPE x counter\nx{a="q\\"\\n"} 1.5e3\n');
    expect(ok.get('x')).toMatchObject({ help: 'a \\ b', samples: [{ labels: { a: 'q"\n' }, value: 1500 }] });
  });
});
