// E2E: the ledger-outage policy (docs/design.md §3.4) with a private redis-server that dies and comes
// back: fail-closed tenants get 503 ledger_unavailable, fail-open and advisory tenants are
// forwarded without a hold (loudly), and runcap recovers without a restart.
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { hasRedisServer, startRedisServer, type RedisProcess } from './support/redis-server.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
const available = hasRedisServer();
if (!available) console.warn('ledger outage tests skipped: redis-server is not installed');

(available ? describe : describe.skip)('ledger outage (Redis)', () => {
  let redis: RedisProcess;
  let fake: FakeUpstream;
  let runcap: TestRuncap;

  beforeAll(async () => {
    redis = await startRedisServer();
    fake = await startFakeUpstream();
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        ledger: { redis: redis.url },
        tenants: {
          closed: { on_ledger_down: 'fail_closed' },
          open: { on_ledger_down: 'fail_open' },
          watch: { mode: 'advisory_estimate' },
        },
        keys: [
          { id: 'k_closed', sha256: sha('rk-closed'), tenant: 'closed' },
          { id: 'k_open', sha256: sha('rk-open'), tenant: 'open' },
          { id: 'k_watch', sha256: sha('rk-watch'), tenant: 'watch' },
        ],
      },
    });
  }, 30_000);
  afterAll(async () => {
    await runcap.stop();
    await fake.close();
    await redis.stop();
  });

  const ask = (key: string) =>
    new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: key,
      maxRetries: 0,
      defaultHeaders: { 'X-Run-Id': `run-outage-${key}` },
    }).chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 })
      .withResponse()
      .then(({ response }) => ({ status: response.status, headers: response.headers, code: null as string | null }))
      .catch((error: unknown) => {
        if (!(error instanceof OpenAI.APIError)) throw error;
        return { status: error.status ?? 0, headers: error.headers ?? new Headers(), code: String(error.code) };
      });

  it('applies each tenant policy while Redis is down and recovers when it is back', async () => {
    expect((await ask('rk-closed')).status).toBe(200);
    await redis.kill();

    const closed = await ask('rk-closed');
    expect(closed).toMatchObject({ status: 503, code: 'ledger_unavailable' });
    expect(closed.headers.get('x-budget-decision')).toBe('block');

    for (const key of ['rk-open', 'rk-watch']) {
      const open = await ask(key);
      expect(open.status).toBe(200);
      expect(open.headers.get('x-budget-fail-open')).toBe('true');
      expect(open.headers.get('x-budget-decision')).toBe('allow');
      expect(open.headers.get('x-budget-decision-id')).toMatch(/^bdgdec_/);
    }
    const metrics = await (await fetch(`${runcap.url}/metrics`)).text();
    expect(metrics).toMatch(/^runcap_fail_open_total\{reason="open_run"\} 2$/m);
    expect(metrics).toMatch(/^runcap_ledger_unavailable_total 1$/m);

    // A fail-open tenant still refuses a run id it could not name a run by (checked without the ledger).
    const badRunId = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer rk-open', 'x-run-id': 'not a run id', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
    });
    expect(badRunId.status).toBe(400);
    expect(((await badRunId.json()) as { code: string }).code).toBe('invalid_run_id');
    expect(badRunId.headers.get('x-run-id')).toBeNull();
    const badSession = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer rk-open', 'session-id': 'not a session', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
    });
    expect(badSession.status).toBe(400);
    expect(((await badSession.json()) as { code: string }).code).toBe('invalid_run_id');

    await redis.restart();
    const deadline = Date.now() + 15_000;
    let recovered = await ask('rk-closed');
    while (recovered.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      recovered = await ask('rk-closed');
    }
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('x-budget-fail-open')).toBeNull();
  }, 60_000);
});
