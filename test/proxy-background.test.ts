// E2E (issue 11 item 3): Responses API `background: true`. The provider keeps generating a
// background response after the client leaves and bills the whole answer, so runcap keeps the
// call's hold until it learns how the response ended (polling the provider with the call's own
// key), then commits the provider's usage. Streamed or not, through the openai SDK.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

const VIRTUAL_KEY = 'rc-background-virtual';
// gpt-4o-mini: 10 prompt x $0.15/1M + 200 output x $0.60/1M = 121.5 micro-USD, rounded up.
const ANSWER_MICROS = 122;
// The hold's output part alone: the 1000-token cap x $0.60/1M.
const HOLD_OUTPUT_MICROS = 600;
const ESSAY = { model: 'gpt-4o-mini', input: 'Write a long essay', max_output_tokens: 1000 } as const;

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ outputTokens: 200, chunks: 20 });
});
afterAll(async () => {
  await fake.close();
});

function client(runcap: TestRuncap, key: string, runId: string, extra: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, ...extra },
  });
}

describe('background responses, default policy (track)', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        keys: [{ id: 'k_bg', sha256: createHash('sha256').update(VIRTUAL_KEY).digest('hex') }],
        passthrough: true,
      },
    });
  });
  afterAll(() => runcap.stop());

  it('keeps the hold when a streaming client leaves, and commits what the provider billed once it ends', async () => {
    const sdk = client(runcap, 'sk-bg-stream', 'run-bg-stream', { 'x-fake-background-ms': '1500' });
    const stream = await sdk.responses.create({ ...ESSAY, background: true, stream: true }).withResponse();
    let responseId = '';
    for await (const event of stream.data) {
      if (event.type === 'response.created') responseId = event.response.id;
      if (event.type === 'response.output_text.delta') break; // the client leaves after the first words
    }
    expect(responseId).toMatch(/^resp_/);
    const upstreamCall = fake.requests.find((r) => r.headers.authorization === 'Bearer sk-bg-stream');
    expect(await upstreamCall?.ended).toBe('client_closed');

    // The provider is still generating: nothing released, nothing estimated from the few words streamed.
    const during = await runView(runcap, 'run-bg-stream');
    expect(during.committedMicros).toBe(0);
    expect(during.reservedMicros).toBeGreaterThanOrEqual(HOLD_OUTPUT_MICROS);
    const decisionId = stream.response.headers.get('x-budget-decision-id') ?? '';
    // (Read without draining background tasks: the tracking task is one of them.)
    expect((await runcap.store.decisions.get(decisionId))?.record['state']).toBe('pending');

    // The response ends on the provider's side (billing all 200 output tokens); runcap learns it by polling.
    await waitFor(
      () => fake.background.billedOutputTokens(responseId),
      (billed) => billed === 200,
    );
    const after = await waitFor(
      () => runView(runcap, 'run-bg-stream'),
      (view) => view.reservedMicros === 0,
    );
    expect(after.committedMicros).toBe(ANSWER_MICROS);
    expect(await decisionOf(runcap, decisionId)).toMatchObject({ state: 'settled', usage_source: 'provider' });
    // It asked the provider with the key the call used.
    expect(fake.background.retrievals.get(responseId)).toBeGreaterThanOrEqual(1);
  });

  it('answers a non-streaming call `queued` with its hold kept, serves retrieval, and commits the usage at the end', async () => {
    // (A virtual key forwards only allow-listed headers, so the fake is steered by configure().)
    fake.configure({ backgroundMs: 600 });
    const sdk = client(runcap, VIRTUAL_KEY, 'run-bg-queued');
    const queued = await sdk.responses.create({ ...ESSAY, background: true }).withResponse();
    fake.configure({ backgroundMs: 500 });
    expect(queued.data.status).toBe('queued');
    expect(queued.response.headers.get('x-budget-decision')).toBe('allow');
    const during = await runView(runcap, 'run-bg-queued');
    expect(during.committedMicros).toBe(0);
    expect(during.reservedMicros).toBeGreaterThanOrEqual(HOLD_OUTPUT_MICROS);

    // The client polls through runcap (GET /v1/responses/{id} passes through, free).
    let response = queued.data;
    while (response.status === 'queued' || response.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await sdk.responses.retrieve(queued.data.id);
    }
    expect(response.status).toBe('completed');
    expect(response.output_text).toContain('Hello');
    const after = await waitFor(
      () => runView(runcap, 'run-bg-queued'),
      (view) => view.reservedMicros === 0,
    );
    expect(after.committedMicros).toBe(ANSWER_MICROS);
    const record = await decisionOf(runcap, queued.response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ state: 'settled', usage_source: 'provider' });
    // The virtual key's response was created and fetched with runcap's provider key.
    const created = fake.requests.filter((r) => r.path === '/v1/responses').at(-1);
    expect(created?.headers.authorization).toBe('Bearer sk-provider-secret');
    expect(fake.background.get(queued.data.id, 'Bearer sk-provider-secret')?.['status']).toBe('completed');
  });

  it('charges the full hold for a response cancelled without usage (what it billed is unknown)', async () => {
    const sdk = client(runcap, 'sk-bg-cancel', 'run-bg-cancel', { 'x-fake-background-ms': '5000' });
    const queued = await sdk.responses.create({ ...ESSAY, background: true }).withResponse();
    const hold = (await runView(runcap, 'run-bg-cancel')).reservedMicros;
    const cancelled = await sdk.responses.cancel(queued.data.id);
    expect(cancelled.status).toBe('cancelled');
    const after = await waitFor(
      () => runView(runcap, 'run-bg-cancel'),
      (view) => view.reservedMicros === 0,
    );
    expect(after.committedMicros).toBe(hold);
    const record = await decisionOf(runcap, queued.response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'background_cancelled_without_usage' });
  });
});

describe('background responses that outlive the hold TTL or the process', () => {
  it('extends the hold while the response runs, so the sweeper never expires it', async () => {
    const runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: {
        upstreams: {
          openai: { base_url: `${fake.url}/v1`, headers_timeout: '1s', response_timeout: '2s' },
          // Every configured upstream's timeouts must stay under the short hold TTL.
          anthropic: { base_url: fake.url, headers_timeout: '1s', response_timeout: '2s' },
        },
        ledger: { reservation_ttl: '3s', sweep_interval: '200ms' },
        background: { poll_interval: '200ms', max_poll_interval: '400ms' },
      },
    });
    try {
      const sdk = client(runcap, 'sk-bg-long', 'run-bg-long', { 'x-fake-background-ms': '4000' });
      const queued = await sdk.responses.create({ ...ESSAY, background: true }).withResponse();
      const reservationId = queued.response.headers.get('x-budget-reservation-id') ?? '';
      const created = await runcap.store.ledger.getReservation(reservationId);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const extended = await runcap.store.ledger.getReservation(reservationId);
      expect(extended?.state).toBe('forwarded');
      expect(extended?.expiresAtMs).toBeGreaterThan((created?.expiresAtMs ?? 0) + 1_000);
      const after = await waitFor(
        () => runView(runcap, 'run-bg-long'),
        (view) => view.reservedMicros === 0,
      );
      expect(after.committedMicros).toBe(ANSWER_MICROS);
      expect((await runcap.store.ledger.getReservation(reservationId))?.usageSource).toBe('provider');
    } finally {
      await runcap.stop();
    }
  });

  it('at shutdown polls once more, then charges the full hold of a response still running', async () => {
    const runcap = await startRuncap({ upstreamUrl: fake.url });
    const sdk = client(runcap, 'sk-bg-shutdown', 'run-bg-shutdown', { 'x-fake-background-ms': '60000' });
    const queued = await sdk.responses.create({ ...ESSAY, background: true }).withResponse();
    const reservationId = queued.response.headers.get('x-budget-reservation-id') ?? '';
    const hold = (await runView(runcap, 'run-bg-shutdown')).reservedMicros;
    expect(runcap.server.deps.background.size).toBe(1);
    await runcap.server.stop();
    const db = new Database(join(runcap.dir, 'runcap.sqlite'), { readonly: true });
    try {
      const row = db
        .prepare('SELECT state, actual_micros, usage_source FROM reservations WHERE id = ?')
        .get(reservationId) as { state: string; actual_micros: number; usage_source: string };
      expect(row).toEqual({ state: 'committed', actual_micros: hold, usage_source: 'estimated' });
    } finally {
      db.close();
      await runcap.stop();
    }
    expect(fake.background.retrievals.get(queued.data.id)).toBe(1);
  });
});

describe('tenant policy background: refuse', () => {
  it('refuses background: true with 403 background_not_allowed before anything is held or sent', async () => {
    const runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: { tenants: { default: { background: 'refuse' } } },
    });
    try {
      fake.clearRequests();
      const sdk = client(runcap, 'sk-bg-refused', 'run-bg-refused');
      const error = await sdk.responses.create({ ...ESSAY, background: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('background_not_allowed');
      expect(fake.requests).toHaveLength(0);
      // Without background, the same call goes through.
      const plain = await sdk.responses.create({ ...ESSAY });
      expect(plain.status).toBe('completed');
    } finally {
      await runcap.stop();
    }
  });
});
