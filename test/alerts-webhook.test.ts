// E2E: threshold alerts (docs/design.md §12) through real sockets: a real receiver on loopback that
// fails its first attempts gets each crossing exactly once after retries, signed with the secret;
// a crossing whose runcap stops before delivering is delivered by the next runcap on the same
// ledger. The proxy's answers never wait for a webhook.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { api, chat } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const SECRET = 'whsec-test-0123456789abcdef';
const KEY = 'sk-alerts-alice';

interface Receiver {
  readonly url: string;
  readonly received: { body: string; signature: string | undefined; status: number }[];
  close(): Promise<void>;
}

/** A webhook receiver on loopback answering `statuses` in turn (the last one from then on). */
async function startReceiver(statuses: readonly number[]): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const status = statuses[Math.min(received.length, statuses.length - 1)] ?? 200;
      const signature = request.headers['x-runcap-signature'];
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: typeof signature === 'string' ? signature : undefined,
        status,
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

let fake: FakeUpstream;
let dir: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'runcap-alerts-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function runcapWith(receiverUrl: string, dbPath: string, thresholds: number[]): Promise<TestRuncap> {
  return startRuncap({
    upstreamUrl: fake.url,
    env: { RUNCAP_TEST_WEBHOOK_SECRET: SECRET },
    config: {
      ledger: { sqlite: dbPath, sweep_interval: '1h' },
      alert_delivery: { poll_interval: '50ms', initial_backoff: '100ms', max_backoff: '400ms' },
      tenants: {
        default: {
          run: { default_limit_usd: '1.00' },
          alerts: { webhook_url: receiverUrl, thresholds, secret_env: 'RUNCAP_TEST_WEBHOOK_SECRET' },
        },
      },
    },
  });
}

/** One call's committed cost and hold in micro-USD, measured on a scratch run. */
async function measure(runcap: TestRuncap): Promise<{ costMicros: number; holdMicros: number }> {
  const response = await chat(runcap.url, KEY, 'alerts-scratch', { headers: { 'x-fake-output-tokens': '50' } });
  expect(response.status).toBe(200);
  const settled = await waitFor(
    () =>
      api<{ estimate_usd: string; actual_usd: string | null }>(
        runcap.url,
        'GET',
        `/budget/decisions/${response.headers.get('x-budget-decision-id')}`,
        { key: KEY },
      ),
    (page) => page.body.actual_usd !== null,
  );
  return { costMicros: parseUsd(settled.body.actual_usd ?? '0'), holdMicros: parseUsd(settled.body.estimate_usd) };
}

const usd = formatUsd;

describe('threshold alerts', () => {
  it('a receiver that fails its first attempts gets each crossing once, signed, after retries', async () => {
    const receiver = await startReceiver([500, 503, 200]);
    const runcap = await runcapWith(receiver.url, join(dir, 'retries.sqlite'), [0.25, 0.5]);
    try {
      const { costMicros, holdMicros } = await measure(runcap);
      // Four calls' worth of ceiling: the first call reaches 25%, the second 50%, the third 75% (no threshold).
      const limitMicros = 4 * costMicros;
      expect(limitMicros - 2 * costMicros).toBeGreaterThanOrEqual(holdMicros);
      await api(runcap.url, 'POST', '/budget/runs', {
        key: KEY,
        body: { id: 'alerts-run', limit_usd: usd(limitMicros) },
      });
      for (let i = 0; i < 3; i += 1) {
        const response = await chat(runcap.url, KEY, 'alerts-run', { headers: { 'x-fake-output-tokens': '50' } });
        expect(response.status).toBe(200);
      }
      const delivered = await waitFor(
        () => receiver.received.filter((r) => r.status === 200),
        (list) => list.length === 2,
        30_000,
      );
      expect(receiver.received.slice(0, 2).map((r) => r.status)).toEqual([500, 503]);
      const events = delivered.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      expect(events.map((e) => e['threshold']).sort()).toEqual([0.25, 0.5]);
      const quarter = events.find((e) => e['threshold'] === 0.25);
      expect(quarter).toMatchObject({
        type: 'run.threshold_crossed',
        run_id: 'alerts-run',
        tenant: 'default',
        limit_usd: formatUsd(limitMicros),
        committed_usd: expect.stringMatching(/^\d+\.\d{2,6}$/),
      });
      expect(Date.parse(String(quarter?.['at']))).not.toBeNaN();
      for (const request of receiver.received) expect(request.signature).toBe(sign(request.body));
      // Every attempt of one crossing carries the same body (same id).
      const ids = receiver.received.map((r) => (JSON.parse(r.body) as { id: string }).id);
      expect(new Set(ids).size).toBe(2);
      // Nothing more comes: each threshold once, the third call crossed none.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.received.filter((r) => r.status === 200)).toHaveLength(2);
      const metrics = await (await fetch(`${runcap.url}/metrics`)).text();
      expect(metrics).toMatch(/^runcap_alerts_delivered_total 2$/m);
      expect(metrics).toMatch(/^runcap_alert_delivery_failures_total\{reason="status"\} 2$/m);
      expect(metrics).toMatch(/^runcap_alert_outbox_depth 0$/m);
    } finally {
      await runcap.stop();
      await receiver.close();
    }
  });

  it('a crossing whose runcap stopped before delivering is delivered by the next one on the same ledger', async () => {
    const dbPath = join(dir, 'restart.sqlite');
    const down = await startReceiver([503]);
    const first = await runcapWith(down.url, dbPath, [0.25]);
    const { costMicros } = await measure(first);
    await api(first.url, 'POST', '/budget/runs', {
      key: KEY,
      body: { id: 'alerts-restart', limit_usd: usd(3 * costMicros) },
    });
    expect((await chat(first.url, KEY, 'alerts-restart', { headers: { 'x-fake-output-tokens': '50' } })).status).toBe(
      200,
    );
    await waitFor(
      () => down.received.length,
      (count) => count >= 1,
    );
    await first.stop();
    await down.close();

    const up = await startReceiver([200]);
    const second = await runcapWith(up.url, dbPath, [0.25]);
    try {
      const [delivered] = await waitFor(
        () => up.received,
        (list) => list.length >= 1,
        30_000,
      );
      expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({ run_id: 'alerts-restart', threshold: 0.25 });
      expect(delivered?.signature).toBe(sign(delivered?.body ?? ''));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(up.received).toHaveLength(1);
    } finally {
      await second.stop();
      await up.close();
    }
  });
});
