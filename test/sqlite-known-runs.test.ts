// The SQLite ledger checks a known run inside the reserve (src/ledger/sqlite/run-check.ts): a
// call of a run this process opened before does not open it again, and whatever another
// process (or the budget API) changed between two calls (a close, a ceiling, a closed parent,
// an idle run coming back under the active-run cap) is refused or enforced exactly as opening
// the run would. Two runcap servers on one SQLite file, and the store alone for the check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LedgerError, openSqliteStore, type ReserveRequest, type Store } from '../src/ledger/index.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const KEY = 'sk-sqlite-known';

describe('SQLite: a known run is checked in the reserve, not opened again', () => {
  let dir: string;
  let fake: FakeUpstream;
  let a: TestRuncap;
  let b: TestRuncap;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-known-'));
    fake = await startFakeUpstream();
    const config = {
      ledger: { sqlite: join(dir, 'shared.sqlite'), sweep_interval: '1h' },
      tenants: { default: { run: { default_limit_usd: '1.00', max_limit_usd: '5.00', max_active_per_key: 4 } } },
    };
    a = await startRuncap({ upstreamUrl: fake.url, config });
    b = await startRuncap({ upstreamUrl: fake.url, config });
  }, 30_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the second call of a run does not open it', async () => {
    const open = vi.spyOn(a.server.deps.store.runs, 'open');
    try {
      expect((await chat(a.url, KEY, 'known-once')).status).toBe(200);
      expect(open).toHaveBeenCalledTimes(1);
      expect((await chat(a.url, KEY, 'known-once')).status).toBe(200);
      expect((await chat(a.url, KEY, 'known-once')).status).toBe(200);
      expect(open).toHaveBeenCalledTimes(1);
    } finally {
      open.mockRestore();
    }
  });

  it('a run closed through the other server is refused on the next call here', async () => {
    expect((await chat(a.url, KEY, 'closed-elsewhere')).status).toBe(200);
    expect((await chat(a.url, KEY, 'closed-elsewhere')).status).toBe(200);
    expect((await api(b.url, 'POST', '/budget/runs/closed-elsewhere/close', { key: KEY })).status).toBe(200);
    const refused = await chat(a.url, KEY, 'closed-elsewhere');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_closed' });
  });

  it('a run closed through this server is refused on the next call', async () => {
    expect((await chat(a.url, KEY, 'closed-here')).status).toBe(200);
    expect((await api(a.url, 'POST', '/budget/runs/closed-here/close', { key: KEY })).status).toBe(200);
    const refused = await chat(a.url, KEY, 'closed-here');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_closed' });
  });

  it('a sub-agent run whose parent was closed elsewhere is refused on its next call', async () => {
    const child = { headers: { 'x-parent-run-id': 'parent-elsewhere' } };
    expect((await chat(a.url, KEY, 'parent-elsewhere')).status).toBe(200);
    expect((await chat(a.url, KEY, 'child-elsewhere', child)).status).toBe(200);
    expect((await chat(a.url, KEY, 'child-elsewhere', child)).status).toBe(200);
    expect((await api(b.url, 'POST', '/budget/runs/parent-elsewhere/close', { key: KEY })).status).toBe(200);
    const refused = await chat(a.url, KEY, 'child-elsewhere', child);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_closed' });
  });

  it('another principal naming a known run is refused as before', async () => {
    expect((await chat(a.url, KEY, 'owned-run')).status).toBe(200);
    const refused = await chat(a.url, 'sk-sqlite-other', 'owned-run');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'run_principal_mismatch' });
  });

  it('a ceiling lowered and then raised on the other server is the one enforced here', async () => {
    const first = await chat(a.url, KEY, 'limit-elsewhere', { headers: { 'x-run-budget-usd': '1.00' } });
    expect(first.status).toBe(200);
    const lowered = await api(b.url, 'PATCH', '/budget/runs/limit-elsewhere', {
      key: KEY,
      body: { limit_usd: '0.000001' },
    });
    expect(lowered.status).toBe(200);
    const blocked = await chat(a.url, KEY, 'limit-elsewhere');
    expect(blocked.status).toBe(402);
    expect(blocked.body).toMatchObject({ budget: { scope: 'run', limit_usd: '0.000001' } });
    const raised = await api(b.url, 'PATCH', '/budget/runs/limit-elsewhere', { key: KEY, body: { limit_usd: '3.00' } });
    expect(raised.status).toBe(200);
    const admitted = await chat(a.url, KEY, 'limit-elsewhere');
    expect(admitted.status).toBe(200);
    // Held against $3.00, not the $1.00 this server saw when it opened the run.
    expect(Number(admitted.headers.get('x-budget-remaining-usd'))).toBeGreaterThan(2);
  });

  it('a known run that went idle is opened again, so the active-run cap applies to it', async () => {
    const key = 'sk-sqlite-idle';
    for (const run of ['idle-a', 'idle-b', 'idle-c', 'idle-d']) expect((await chat(a.url, key, run)).status).toBe(200);
    // idle-a idles out (as if its idle TTL passed).
    const raw = new Database(join(dir, 'shared.sqlite'));
    try {
      raw.pragma('busy_timeout = 5000');
      raw.prepare(`UPDATE runs SET last_activity_at_ms = 1 WHERE run_id = 'idle-a'`).run();
    } finally {
      raw.close();
    }
    expect((await chat(a.url, key, 'idle-e')).status).toBe(200);
    // Four runs are active again (b, c, d, e): idle-a coming back counts as a fifth.
    const refused = await chat(a.url, key, 'idle-a');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'too_many_active_runs' });
  });
});

describe('SQLite reserve with a run check', () => {
  let dir: string;
  let store: Store;
  let nowMs = 1_000_000;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runcap-run-check-'));
    store = openSqliteStore({ path: join(dir, 'ledger.sqlite'), clock: () => nowMs });
  });
  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scope = { type: 'run', id: 'r1', window: 'none', limitMicros: 1_000, mode: 'hard_gate' } as const;
  const request = (reservationId: string, extra: Partial<ReserveRequest> = {}): ReserveRequest => ({
    reservationId,
    decisionId: `dec-${reservationId}`,
    tenant: 't-check',
    scopes: [scope],
    amountMicros: 400,
    ttlMs: 60_000,
    model: 'm',
    priceTableVersion: 'v',
    attribution: { runId: 'r1', keyId: 'k1', userId: null, teamId: null, feature: null, endpoint: 'chat' },
    ...extra,
  });
  const runCheck = { runId: 'r1', keyId: 'k1' };

  it('passes for an active run of the key and records its activity as opening would', async () => {
    expect(store.ledger.checksRuns).toBe(true);
    // Idle TTL 10 s: activity is recorded at a 10 ms granularity.
    const opened = await store.runs.open({
      tenant: 't-check',
      runId: 'r1',
      keyId: 'k1',
      limitMicros: 1_000,
      idleTtlMs: 10_000,
      maxActivePerKey: 10,
    });
    expect(opened.kind).toBe('created');
    nowMs += 5;
    expect((await store.ledger.reserve(request('rsv-ok-1', { runCheck }))).kind).toBe('reserved');
    expect((await store.runs.get('t-check', 'r1'))?.lastActivityAtMs).toBe(1_000_000);
    nowMs += 20;
    expect((await store.ledger.reserve(request('rsv-ok-2', { runCheck }))).kind).toBe('reserved');
    expect((await store.runs.get('t-check', 'r1'))?.lastActivityAtMs).toBe(1_000_025);
    await store.ledger.release('rsv-ok-1');
    await store.ledger.release('rsv-ok-2');
  });

  it('a missing run, another key, another ceiling, an idle or a closed run write nothing', async () => {
    const refusals: Partial<ReserveRequest>[] = [
      { runCheck: { runId: 'r1', keyId: 'k2' } },
      { runCheck, scopes: [{ ...scope, limitMicros: 2_000 }] },
      { runCheck: { runId: 'r-missing', keyId: 'k1' } },
      // A request that does not hold against the run it names.
      { runCheck, scopes: [{ ...scope, id: 'r-other' }] },
    ];
    for (const extra of refusals) {
      const error: unknown = await store.ledger.reserve(request('rsv-no', extra)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerError);
      expect(error).toMatchObject({ code: 'run_changed' });
    }
    nowMs += 10_000; // idle: last activity + idle TTL is no longer ahead
    await expect(store.ledger.reserve(request('rsv-no', { runCheck }))).rejects.toMatchObject({ code: 'run_changed' });
    expect((await store.runs.get('t-check', 'r1'))?.lastActivityAtMs).toBe(1_000_025);
    nowMs -= 10_000;
    await store.runs.close('t-check', 'r1');
    await expect(store.ledger.reserve(request('rsv-no', { runCheck }))).rejects.toMatchObject({ code: 'run_changed' });
    const [view] = await store.ledger.view('t-check', [scope]);
    expect(view).toMatchObject({ reservedMicros: 0, committedMicros: 0 });
    expect(await store.ledger.getReservation('rsv-no')).toBeNull();
  });
});
