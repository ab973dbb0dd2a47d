// E2E edge cases of money paths: concurrent Idempotency-Key retries, connections lost
// before and after the request was sent, clients that never name runs, double caps,
// custom block statuses, and end-user attribution that cannot be spoofed.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
const hi = [{ role: 'user' as const, content: 'hi' }];
let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.close());

async function post(runcap: TestRuncap, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${runcap.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-edge', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('one runcap with a small active-run cap and user limits', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        tenants: {
          default: {
            block_status: 409,
            allow_user_header: true,
            run: { max_active_per_key: 2 },
            limits: { user: { limit_usd: '0.001', window: '1d' } },
          },
        },
        keys: [{ id: 'k_bob', sha256: sha('vk-bob'), user: 'bob' }],
        passthrough: true,
      },
    });
  });
  afterAll(() => runcap.stop());

  it('lets only one of several concurrent requests with one Idempotency-Key spend the hold', async () => {
    fake.clearRequests();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        post(
          runcap,
          { 'x-run-id': 'run-idem', 'idempotency-key': 'step-7', 'x-fake-latency-ms': '300' },
          { model: 'gpt-4o-mini', messages: hi, max_tokens: 10 },
        ).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    expect(fake.requests).toHaveLength(1);
    // 10 prompt x $0.15/1M + 10 output (the cap) x $0.60/1M = 7.5, rounded up: one call's cost.
    expect((await runView(runcap, 'run-idem')).committedMicros).toBe(8);
  });

  it('never locks out a client that does not name its runs', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await post(runcap, {}, { model: 'gpt-4o-mini', messages: hi, max_tokens: 5 })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // Named runs are still capped.
    expect(
      (await post(runcap, { 'x-run-id': 'named-1' }, { model: 'gpt-4o-mini', messages: hi, max_tokens: 5 })).status,
    ).toBe(200);
    const third = await post(runcap, { 'x-run-id': 'named-2' }, { model: 'gpt-4o-mini', messages: hi, max_tokens: 5 });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('too_many_active_runs');
  });

  it('holds a chat call that sends both caps for the larger one', async () => {
    const response = await post(
      runcap,
      { 'x-run-id': 'run-idem' },
      { model: 'gpt-4o-mini', messages: hi, max_completion_tokens: 50, max_tokens: 100_000 },
    );
    const record = await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ client_requested_max_output_tokens: 100_000, effective_max_output_tokens: 16_384 });
    expect(fake.requests.at(-1)?.body).toMatchObject({ max_completion_tokens: 16_384, max_tokens: 16_384 });
  });

  it('marks a block with a custom status as not retryable too', async () => {
    const response = await post(
      runcap,
      { 'x-run-id': 'run-idem', 'x-budget-user': 'carol' },
      { model: 'gpt-4o', messages: hi, max_tokens: 4000 },
    );
    expect(response.status).toBe(409);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(((await response.json()) as { code: string }).code).toBe('user_ceiling_reached');
  });

  it('files a header-named end user under the calling key, and never over a key’s configured user', async () => {
    const asBob = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer vk-bob',
        'content-type': 'application/json',
        'x-run-id': 'run-bob',
        'x-budget-user': 'eve',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: hi, max_tokens: 5 }),
    });
    expect(asBob.status, await asBob.clone().text()).toBe(200);
    expect((await decisionOf(runcap, asBob.headers.get('x-budget-decision-id') ?? '')).user_id).toBe('bob');
    const named = await post(
      runcap,
      { authorization: 'Bearer sk-edge-other', 'x-run-id': 'run-eve', 'x-budget-user': 'eve' },
      { model: 'gpt-4o-mini', messages: hi, max_tokens: 5 },
    );
    expect(named.status).toBe(200);
    const record = await decisionOf(runcap, named.headers.get('x-budget-decision-id') ?? '');
    expect(record.user_id).toMatch(/^key_[0-9a-f]{16}\/eve$/);
  });
});

describe('connections lost before and after the request was sent', () => {
  it('charges the full hold when the upstream drops the connection after receiving the call', async () => {
    const runcap = await startRuncap({ upstreamUrl: fake.url });
    try {
      const response = await post(
        runcap,
        { 'x-run-id': 'run-reset', 'x-fake-mode': 'reset' },
        { model: 'gpt-4o-mini', messages: hi, max_tokens: 100 },
      );
      expect(response.status).toBe(502);
      const record = await waitFor(
        () => decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? ''),
        (r) => r.state !== 'pending',
      );
      expect(record).toMatchObject({ state: 'settled', usage_source: 'estimated', actual_usd: record.estimate_usd });
    } finally {
      await runcap.stop();
    }
  });

  it('releases the hold when no connection could be made', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const runcap = await startRuncap({ upstreamUrl: `http://127.0.0.1:${closed}` });
    try {
      const error = await new OpenAI({
        baseURL: runcap.baseURL,
        apiKey: 'sk-edge',
        maxRetries: 0,
        defaultHeaders: { 'X-Run-Id': 'run-refused' },
      }).chat.completions
        .create({ model: 'gpt-4o-mini', messages: hi, max_tokens: 100 })
        .then(
          () => null,
          (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
        );
      if (error === null) throw new Error('expected the call to fail');
      expect(error.status).toBe(502);
      expect(error.code).toBe('upstream_unavailable');
      expect(await runView(runcap, 'run-refused')).toMatchObject({ committedMicros: 0, reservedMicros: 0 });
    } finally {
      await runcap.stop();
    }
  });
});
