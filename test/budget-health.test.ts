// E2E: /healthz (process up) and /readyz (ledger reachable, prices loaded), and what the
// proxy and the budget API answer while the ledger is gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/ledger/index.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'runcap-health-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('health', () => {
  it('/healthz is 200 and /readyz reports the ledger and price table while the ledger answers', async () => {
    const runcap = await startRuncap({ upstreamUrl: fake.url });
    try {
      const health = await api(runcap.url, 'GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      const ready = await api(runcap.url, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', ledger: 'sqlite', prices: { version: '2026-11-30' } });
      expect((ready.body.prices as { models: number }).models).toBeGreaterThan(0);
    } finally {
      await runcap.stop();
    }
  });

  it('/readyz is 503 once the ledger is closed, /healthz stays 200, and calls fail closed with 503 ledger_unavailable', async () => {
    const store = openSqliteStore({ path: join(dir, 'closed.sqlite') });
    const runcap = await startRuncap({
      upstreamUrl: fake.url,
      store,
      config: { admin_token: 'admin-token-for-tests-0123456789' },
    });
    try {
      expect((await api(runcap.url, 'GET', '/readyz')).status).toBe(200);
      await store.close();

      const ready = await api(runcap.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'ledger_unreachable', ledger: 'sqlite' });
      expect(typeof ready.body.error).toBe('string');
      expect((await api(runcap.url, 'GET', '/healthz')).status).toBe(200);

      fake.clearRequests();
      const call = await chat(runcap.url, 'sk-health', 'health-run');
      expect(call.status).toBe(503);
      expect(call.body).toMatchObject({ code: 'ledger_unavailable' });
      expect(fake.requests).toHaveLength(0);
      for (const [method, path, body] of [
        ['POST', '/budget/reservations', { amount_usd: '0.01' }],
        ['POST', '/budget/runs', {}],
        ['GET', '/budget/runs/health-run', undefined],
        ['GET', '/budget/spend', undefined],
        ['GET', '/budget/decisions/bdgdec_x', undefined],
      ] as const) {
        const refused = await api(runcap.url, method, path, { key: 'sk-health', ...(body ? { body } : {}) });
        expect([path, refused.status, refused.body.code]).toEqual([path, 503, 'ledger_unavailable']);
      }
      const metrics = await fetch(`${runcap.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/^runcap_ledger_unavailable_total \d+/m);
    } finally {
      await runcap.stop();
    }
  });
});
