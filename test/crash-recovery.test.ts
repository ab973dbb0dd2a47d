// Process test (docs/design.md §11): kill -9 during a streaming call, restart on the same SQLite file
// with a short reservation TTL. The orphaned forwarded hold is expired and charged in full
// (usage_source expired), the run's reserved drops to 0, and the run admits new calls.
// Runs the built CLI (npm run build first).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { parsePrometheusText, sumOf } from './support/prom-text.js';
import { spawnRuncap } from './support/spawn-runcap.js';
import { waitFor } from './support/wait.js';

const KEY = 'sk-crash-test';
let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ slowChunkDelayMs: 400, chunks: 20 });
  dir = mkdtempSync(join(tmpdir(), 'runcap-crash-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

type Run = { committed_usd: string; reserved_usd: string; remaining_usd: string; limit_usd: string };

describe('crash recovery', () => {
  it('expires and charges the hold orphaned by kill -9, and the run is usable again after a restart', async () => {
    const dbPath = join(dir, 'crash.sqlite');
    const config = {
      // The hold TTL must outlast the header timeout (checked at start-up).
      upstreams: {
        openai: { base_url: `${fake.url}/v1`, headers_timeout: '1s', response_timeout: '1s' },
        // The default anthropic upstream waits 60 s, which the 2 s hold TTL must outlast: shorten it too.
        anthropic: { base_url: fake.url, headers_timeout: '1s', response_timeout: '1s' },
      },
      ledger: { sqlite: dbPath, reservation_ttl: '2s', sweep_interval: '1s' },
      tenants: { default: { run: { default_limit_usd: '1.00' } } },
    };
    const first = await spawnRuncap({ dir, config, name: 'first' });
    const response = await fetch(`${first.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'x-run-id': 'crash-run',
        'content-type': 'application/json',
        'x-fake-mode': 'slow',
      },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'a long answer please' }],
        max_tokens: 1000,
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const decisionId = response.headers.get('x-budget-decision-id') ?? '';
    const reservationId = response.headers.get('x-budget-reservation-id') ?? '';
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const firstChunk = await reader.read();
    expect(firstChunk.done).toBe(false);

    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await reader.read().catch(() => undefined);

    // The hold survived the crash, forwarded and live, with nobody left to settle it.
    const raw = new Database(dbPath, { readonly: true });
    const orphan = raw
      .prepare<[string], { state: string; amount_micros: number }>(
        'SELECT state, amount_micros FROM reservations WHERE id = ?',
      )
      .get(reservationId);
    raw.close();
    expect(orphan?.state).toBe('forwarded');
    const holdMicros = orphan?.amount_micros ?? 0;
    expect(holdMicros).toBeGreaterThan(0);

    const second = await spawnRuncap({ dir, config, name: 'second' });
    try {
      const before = await api<Run>(second.url, 'GET', '/budget/runs/crash-run', { key: KEY });
      const holdUsd = (holdMicros / 1e6).toFixed(6);
      expect(Number(before.body.reserved_usd) + Number(before.body.committed_usd)).toBeCloseTo(Number(holdUsd), 6);

      // TTL 2 s + 5 s skew tolerance, swept every second.
      const after = await waitFor(
        () => api<Run>(second.url, 'GET', '/budget/runs/crash-run', { key: KEY }),
        (r) => r.body.reserved_usd === '0.00',
        20_000,
      );
      expect(Number(after.body.committed_usd).toFixed(6)).toBe(holdUsd);

      const record = await api(second.url, 'GET', `/budget/decisions/${decisionId}`, { key: KEY });
      expect(record.body).toMatchObject({ state: 'expired', usage_source: 'expired', reservation_id: reservationId });
      expect(Number(record.body.actual_usd).toFixed(6)).toBe(holdUsd);
      const reservation = await api(second.url, 'GET', `/budget/reservations/${reservationId}`, { key: KEY });
      expect(reservation.body).toMatchObject({ state: 'expired', usage_source: 'expired' });
      const metrics = parsePrometheusText(await fetch(`${second.url}/metrics`).then((r) => r.text()));
      expect(sumOf(metrics, 'runcap_expired_reservations_total', { charged: 'true' })).toBe(1);
      expect(Math.round(sumOf(metrics, 'runcap_expired_usd_total') * 1e6)).toBe(holdMicros);

      // Not blocked forever: a new call on the same run is admitted and settles.
      const next = await chat(second.url, KEY, 'crash-run');
      expect(next.status).toBe(200);
      expect(next.headers.get('x-budget-decision')).toBe('allow');
      const settled = await waitFor(
        () => api<Run>(second.url, 'GET', '/budget/runs/crash-run', { key: KEY }),
        (r) => r.body.reserved_usd === '0.00' && Number(r.body.committed_usd) > Number(holdUsd),
      );
      // gpt-4o-mini, the fake's usage: 10 in + 20 out = 14 micro-USD.
      expect(Math.round(Number(settled.body.committed_usd) * 1e6)).toBe(holdMicros + 14);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    }
  }, 60_000);
});
