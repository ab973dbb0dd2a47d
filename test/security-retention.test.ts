// E2E (issue 11 item 8): anonymous growth. With passthrough on (the default), any bearer
// string is a principal. Junk keys must not make runcap write rows: the budget API writes
// nothing for a key the provider has not accepted, a key the provider rejected is refused
// before any write, and whatever a call did write (runs, reservations, scope rows, decision
// records) is pruned once the retention window has passed. Row counts read from the SQLite file.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const DAY_MS = 86_400_000;
const TABLES = ['runs', 'reservations', 'scopes', 'decisions'] as const;
type Rows = Record<(typeof TABLES)[number], number>;

let fake: FakeUpstream;
let runcap: TestRuncap;
let nowMs = Date.UTC(2026, 10, 29, 12, 0, 0);

beforeAll(async () => {
  fake = await startFakeUpstream({ rejectKeys: /^junk-/ });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    clock: () => nowMs,
    config: {
      ledger: { sqlite: 'runcap.sqlite', sweep_interval: '100ms' },
      retention_days: 30,
      tenants: { default: { limits: { key: { limit_usd: '10.00', window: '1d' } } } },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

function rows(where: Partial<Record<(typeof TABLES)[number], string>> = {}): Rows {
  const db = new Database(join(runcap.dir, 'runcap.sqlite'), { readonly: true });
  try {
    const count = (table: string): number =>
      (db.prepare(`SELECT count(*) AS n FROM ${table} ${where[table as keyof Rows] ?? ''}`).get() as { n: number }).n;
    return Object.fromEntries(TABLES.map((table) => [table, count(table)])) as Rows;
  } finally {
    db.close();
  }
}

describe('junk bearer strings in passthrough', () => {
  it('make the budget API write nothing: 200 junk keys, 200 refusals, zero rows', async () => {
    const before = rows();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const key = `junk-${i.toString().padStart(4, '0')}-${'x'.repeat(24)}`;
      const path = i % 2 === 0 ? '/budget/reservations' : '/budget/runs';
      const body = i % 2 === 0 ? { amount_usd: '0.01', feature: `f-${i}` } : { id: `junk-run-${i}` };
      const response = await api(runcap.url, 'POST', path, { key, body });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (i === 0) expect(response.body).toMatchObject({ code: 'unauthenticated' });
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: 200 });
    await runcap.server.deps.tasks.drain(5_000);
    expect(rows()).toEqual(before);
    // Each junk key cost one free check at the provider, nothing else.
    expect(fake.requests.filter((r) => r.path === '/v1/models')).toHaveLength(200);
  });

  it('are refused before any write once the provider rejected them on a proxied call', async () => {
    fake.clearRequests();
    const before = rows();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await chat(runcap.url, 'junk-repeated-key-000000000000', null)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(50);
    // Only the first reached the provider (which answered 401 invalid_api_key) ...
    expect(fake.requests).toHaveLength(1);
    await runcap.server.deps.tasks.drain(5_000);
    // ... and only the first wrote anything: one run, one reservation (released), one decision.
    const after = rows();
    expect(after.runs - before.runs).toBe(1);
    expect(after.reservations - before.reservations).toBe(1);
    expect(after.decisions - before.decisions).toBe(1);
  });

  it('a real key still works on both paths, and its key is checked with the provider only once', async () => {
    fake.clearRequests();
    const run = await api(runcap.url, 'POST', '/budget/runs', { key: 'sk-real-key', body: { id: 'real-run' } });
    expect(run.status).toBe(201);
    const hold = await api(runcap.url, 'POST', '/budget/reservations', {
      key: 'sk-real-key',
      body: { amount_usd: '0.01', run_id: 'real-run' },
    });
    expect(hold.status).toBe(201);
    expect((await chat(runcap.url, 'sk-real-key', 'real-run')).status).toBe(200);
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/chat/completions']);
  });
});

describe('retention', () => {
  it('prunes runs, reservations, their scope links, scope rows and decision records past the window', async () => {
    // Junk and real rows from the tests above, plus attribution-only scopes from feature tags.
    for (let i = 0; i < 20; i++) {
      const call = await chat(runcap.url, 'sk-real-key', null, { headers: { 'x-budget-feature': `feature-${i}` } });
      expect(call.status).toBe(200);
    }
    await runcap.server.deps.tasks.drain(5_000);
    const before = rows();
    for (const table of TABLES) expect(before[table], table).toBeGreaterThan(0);

    // An hour later the open budget API hold has expired (charged in full) ...
    nowMs += 60 * 60_000;
    await waitFor(
      () => rows({ reservations: "WHERE state IN ('reserved', 'forwarded')" }).reservations,
      (live) => live === 0,
    );
    // ... and a retention window after that, everything from before is gone.
    nowMs += 31 * DAY_MS;
    const after = await waitFor(
      () => rows(),
      (counts) => counts.runs === 0 && counts.reservations === 0,
    );
    expect(after).toEqual({ runs: 0, reservations: 0, scopes: 0, decisions: 0 });

    // A pruned run id is free again; new activity is kept.
    expect((await chat(runcap.url, 'sk-other-key', 'real-run')).status).toBe(200);
    await runcap.server.deps.tasks.drain(5_000);
    // The call's decision record goes out with its settlement, in the batch after the answer
    // (docs/ledger.md "Bookkeeping beside the money"): read from this other connection once it has.
    const kept = await waitFor(
      () => rows(),
      (counts) => counts.decisions === 1,
    );
    expect(kept).toMatchObject({ runs: 1, reservations: 1, decisions: 1 });
  });
});
