// E2E: the spend-velocity brake (docs/design.md §12, run.max_usd_per_minute). A call whose hold
// would push the run's spend over the trailing minute above the limit gets 429
// run_velocity_exceeded with Retry-After; the openai SDK waits that long by itself and gets
// through; 50 parallel calls never take the run past the limit (ledger values); a hold that can
// never fit is not worth retrying; a budget API hold is throttled the same way.
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseUsd } from '../src/money/micros.js';
import { api } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const LIMIT_USD = '0.01';
const LIMIT = parseUsd(LIMIT_USD);
const KEY = 'sk-velocity';
const FREE_KEY = 'sk-velocity-free';
let fake: FakeUpstream;
let runcap: TestRuncap;
/** runcap's clock runs this far ahead of the real one: a test moves it to age spend without waiting a minute. */
let offsetMs = 0;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    clock: () => Date.now() + offsetMs,
    config: {
      passthrough: true,
      tenants: { default: { run: { max_usd_per_minute: LIMIT_USD } }, free: {} },
      keys: [{ id: 'k_free', sha256: createHash('sha256').update(FREE_KEY).digest('hex'), tenant: 'free' }],
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

interface Seen {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly shouldRetry: string | null;
  readonly atMs: number;
}

/** An SDK client for one run that records every response it receives (retries included). */
function client(runId: string, maxRetries: number, key = KEY): { sdk: OpenAI; seen: Seen[] } {
  const seen: Seen[] = [];
  const sdk = new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: key,
    maxRetries,
    defaultHeaders: { 'X-Run-Id': runId },
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      seen.push({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        shouldRetry: response.headers.get('x-should-retry'),
        atMs: Date.now(),
      });
      return response;
    },
  });
  return { sdk, seen };
}

const ask = (sdk: OpenAI, maxTokens: number, headers: Record<string, string> = {}, model = 'gpt-4o-mini') =>
  sdk.chat.completions.create(
    { model, messages: [{ role: 'user', content: 'Next step?' }], max_completion_tokens: maxTokens },
    { headers },
  );
/** gpt-4o's worst case for 2,000 output tokens ($10/M): $0.02, twice the per-minute limit. */
const OVER_LIMIT = ['gpt-4o', 2_000] as const;

describe('429 run_velocity_exceeded and the SDK retry', () => {
  it("the openai SDK waits Retry-After by itself and gets through once the minute's spend has aged", async () => {
    // $0.006 of the $0.01 minute actually spent (9,000 output tokens of gpt-4o-mini at $0.60/M) ...
    const first = client('vel-retry', 0);
    await ask(first.sdk, 10_000, { 'x-fake-output-tokens': '9000' });
    const spent = (await runView(runcap, 'vel-retry')).committedMicros;
    expect(spent).toBeGreaterThan(parseUsd('0.0054'));
    // ... 58 s ago: the next worst case ($0.006) fits once that second leaves the window, ~3 s from now.
    offsetMs += 58_000;
    const second = client('vel-retry', 2);
    const startedMs = Date.now();
    const reply = await ask(second.sdk, 10_000);
    expect(reply.choices[0]?.message.content).toContain('Hello from the fake upstream');
    expect(second.seen.map((seen) => seen.status)).toEqual([429, 200]);
    const [throttled, served] = second.seen;
    const waitS = Number(throttled?.retryAfter);
    expect(waitS).toBeGreaterThanOrEqual(2);
    expect(waitS).toBeLessThanOrEqual(3);
    expect(throttled?.shouldRetry).toBe('true');
    // The SDK waited what it was told (whole seconds), and runcap let it through after that.
    expect((served?.atMs ?? 0) - startedMs).toBeGreaterThanOrEqual(waitS * 1000 - 50);
    expect(fake.requests).toHaveLength(2); // the first call and the retried one; the throttled attempt never left
  });

  it('answers with the throttle problem, headers and decision record', async () => {
    // $0.0054 spent, then a worst case of $0.006: over the $0.01 minute.
    const { status, headers, body } = await api(runcap.url, 'POST', '/v1/chat/completions', {
      key: KEY,
      headers: { 'x-run-id': 'vel-problem', 'x-fake-output-tokens': '9000' },
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10_000 },
    });
    expect(status).toBe(200);
    const again = await api(runcap.url, 'POST', '/v1/chat/completions', {
      key: KEY,
      headers: { 'x-run-id': 'vel-problem' },
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10_000 },
    });
    expect(headers.get('x-budget-decision')).toBe('allow');
    expect(again.status).toBe(429);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.headers.get('x-budget-decision')).toBe('throttle');
    expect(again.headers.get('x-budget-blocking-scope')).toBe('run');
    expect(again.headers.get('x-should-retry')).toBe('true');
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 61).toBe(true);
    expect(again.body).toMatchObject({
      type: 'https://runcap.dev/problems/run_velocity_exceeded',
      status: 429,
      code: 'run_velocity_exceeded',
      velocity: { run_id: 'vel-problem', limit_usd_per_minute: LIMIT_USD, retry_after_seconds: retryAfter },
      budget: { scope: 'run', run_id: 'vel-problem', limit_usd: '5.00' },
      error: { type: 'rate_limit_error', code: 'run_velocity_exceeded' },
    });
    expect(body).toMatchObject({ object: 'chat.completion' });
    const record = await decisionOf(runcap, again.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ decision: 'throttle', code: 'run_velocity_exceeded', state: 'refused' });
    expect(record['brake']).toMatchObject({ kind: 'velocity', run_id: 'vel-problem' });
  });

  it('a hold above the per-minute limit can never fit: 429 without Retry-After, and the SDK does not retry', async () => {
    const { sdk, seen } = client('vel-never', 2);
    const error = await ask(sdk, OVER_LIMIT[1], {}, OVER_LIMIT[0]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('run_velocity_exceeded');
    expect(seen).toEqual([expect.objectContaining({ status: 429, retryAfter: null, shouldRetry: 'false' })]);
    expect(fake.requests).toHaveLength(0);
  });

  it('a tenant without the brake is not throttled', async () => {
    const { sdk, seen } = client('vel-free', 0, FREE_KEY);
    for (let call = 0; call < 3; call += 1) await ask(sdk, OVER_LIMIT[1], {}, OVER_LIMIT[0]);
    expect(seen.map((entry) => entry.status)).toEqual([200, 200, 200]);
  });
});

describe('50 parallel calls at the per-minute limit', () => {
  it('admit exactly floor(limit / worst case) and never take the run past the limit', async () => {
    const racer = client('vel-race', 0);
    // Learn the worst-case hold of this exact body from one probe call on another run.
    const probe = await client('vel-race-probe', 0)
      .sdk.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Next step?' }], max_completion_tokens: 2_000 },
        {},
      )
      .withResponse();
    const holdMicros = parseUsd(
      (await decisionOf(runcap, probe.response.headers.get('x-budget-decision-id') ?? '')).estimate_usd,
    );
    const expected = Math.floor(LIMIT / holdMicros);
    expect(expected).toBeGreaterThan(1);
    expect(expected).toBeLessThan(50);

    // Every call stays in flight long enough that all 50 reserve before any settles.
    const outcomes = Promise.all(
      Array.from({ length: 50 }, () =>
        ask(racer.sdk, 2_000, { 'x-fake-latency-ms': '3000' }).then(
          () => 'served',
          (error: unknown) => (error instanceof OpenAI.APIError ? `${error.status}:${String(error.code)}` : 'error'),
        ),
      ),
    );
    // While the admitted calls are still upstream, the ledger holds exactly their worst cases.
    await waitFor(() => racer.seen.length >= 50 - expected);
    const during = await runView(runcap, 'vel-race');
    expect(during.reservedMicros).toBe(expected * holdMicros);
    expect(during.reservedMicros + during.committedMicros).toBeLessThanOrEqual(LIMIT);

    const results = await outcomes;
    expect(results.filter((result) => result === 'served')).toHaveLength(expected);
    expect(results.filter((result) => result === '429:run_velocity_exceeded')).toHaveLength(50 - expected);
    expect(racer.seen.filter((seen) => seen.status === 429).every((seen) => Number(seen.retryAfter) >= 1)).toBe(true);
    expect(fake.requests).toHaveLength(expected + 1); // the probe and the admitted racers
    const after = await runView(runcap, 'vel-race');
    expect(after.reservedMicros).toBe(0);
    expect(after.committedMicros).toBeLessThanOrEqual(LIMIT);
    const throttles = await runcap.server.deps.metrics.velocityThrottles.get();
    expect(throttles.values.find((value) => value.labels.scope === 'run')?.value).toBeGreaterThanOrEqual(50 - expected);
  });
});

describe('budget API reservations', () => {
  it('are throttled by the same window, with Retry-After', async () => {
    const first = await api(runcap.url, 'POST', '/budget/reservations', {
      key: KEY,
      body: { run_id: 'vel-api', amount_usd: '0.008' },
    });
    expect(first.status).toBe(201);
    const second = await api(runcap.url, 'POST', '/budget/reservations', {
      key: KEY,
      body: { run_id: 'vel-api', amount_usd: '0.003' },
    });
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ code: 'run_velocity_exceeded', velocity: { spent_last_minute_usd: '0.008' } });
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(second.headers.get('x-budget-decision')).toBe('throttle');
    const released = await api(
      runcap.url,
      'POST',
      `/budget/reservations/${String(first.body['reservation_id'])}/release`,
      {
        key: KEY,
      },
    );
    expect(released.status).toBe(200);
    const third = await api(runcap.url, 'POST', '/budget/reservations', {
      key: KEY,
      body: { run_id: 'vel-api', amount_usd: '0.003' },
    });
    expect(third.status).toBe(201);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
