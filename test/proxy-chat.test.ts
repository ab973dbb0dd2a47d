// E2E: the openai SDK -> runcap -> fake upstream, chat completions, over real sockets.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { decisionOf, runView } from './support/ledger-views.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { tenants: { default: { run: { default_limit_usd: '1.00' } } } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => {
  fake.configure({ mode: 'ok' });
  fake.clearRequests();
});

function client(runId: string, key = 'sk-test-alice', extra: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: key,
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, ...extra },
  });
}

const hello = [{ role: 'user' as const, content: 'Hello' }];

describe('chat completions through runcap', () => {
  it('forwards a non-streaming call, commits the exact cost, and reports the budget in headers', async () => {
    const { data, response } = await client('run-basic')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 100 })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain('Hello');
    expect(response.headers.get('x-budget-decision')).toBe('allow');
    expect(response.headers.get('x-run-id')).toBe('run-basic');
    expect(response.headers.get('x-budget-decision-id')).toMatch(/^bdgdec_[0-9A-Z]{26}$/);
    expect(response.headers.get('x-budget-reservation-id')).toMatch(/^rsv_/);
    expect(response.headers.get('x-budget-enforcement-mode')).toBe('hard_gate');
    expect(response.headers.get('x-budget-price-table-version')).toBe('2026-11-30');
    expect(response.headers.get('x-budget-blocking-scope')).toBe('run');
    // The caller's own key went upstream (passthrough); runcap's headers did not.
    const forwarded = fake.requests[0];
    expect(forwarded?.headers.authorization).toBe('Bearer sk-test-alice');
    expect(forwarded?.headers['x-run-id']).toBeUndefined();
    // The client's cap was within policy, so the body went through unchanged.
    expect(forwarded?.body).toEqual({ model: 'gpt-4o-mini', messages: hello, max_tokens: 100 });

    // gpt-4o-mini: 10 prompt x $0.15/1M + 20 output x $0.60/1M = 13.5 micro-USD, rounded up to 14.
    const view = await runView(runcap, 'run-basic');
    expect(view.committedMicros).toBe(14);
    expect(view.reservedMicros).toBe(0);
    const remaining = response.headers.get('x-budget-remaining-usd');
    const record = await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({
      decision: 'allow',
      actual_usd: '0.000014',
      usage_source: 'provider',
      requested_model: 'gpt-4o-mini',
      effective_max_output_tokens: 100,
      state: 'settled',
    });
    // Remaining after the hold = 1.00 - estimate.
    expect(Number(remaining)).toBeCloseTo(1 - Number(record.estimate_usd), 6);
  });

  it('streams chunks through, hides the usage chunk the client did not ask for, and commits provider usage', async () => {
    const stream = await client('run-stream').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 50,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((chunk) => chunk.usage === undefined || chunk.usage === null)).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toContain('Hello');
    // Upstream was asked for usage.
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const view = await runView(runcap, 'run-stream');
    expect(view.committedMicros).toBe(14);
    expect(view.reservedMicros).toBe(0);
  });

  it('keeps the usage chunk for a client that asked for it', async () => {
    const stream = await client('run-stream-usage').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages = [];
    for await (const chunk of stream) if (chunk.usage) usages.push(chunk.usage);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 10, completion_tokens: 20 })]);
  });

  it('writes the tenant default cap into the forwarded body when the client sent none', async () => {
    await client('run-default-cap').chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
    expect(fake.requests[0]?.body).toMatchObject({ max_completion_tokens: 4096 });
  });

  it('refuses a model it cannot price before anything is forwarded', async () => {
    const error = await client('run-unknown')
      .chat.completions.create({ model: 'gpt-9-ultra', messages: hello })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(403);
    expect(apiError.code).toBe('price_unknown');
    expect(apiError.message).toContain('gpt-9-ultra');
    // the detail tells the operator how to fix it
    expect(apiError.message).toContain('tenants.default.price_overrides');
    expect(apiError.message).toContain('runcap prices import --from genai-prices');
    expect(apiError.headers?.get('content-type')).toBe('application/problem+json');
    expect(apiError.headers?.get('x-budget-decision')).toBe('block');
    expect(fake.requests).toHaveLength(0);
  });

  it('passes a provider error through unchanged and releases the hold', async () => {
    const error = await client('run-500')
      .chat.completions.create(
        { model: 'gpt-4o-mini', messages: hello, max_tokens: 10 },
        { headers: { 'x-fake-mode': 'error500' } },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(500);
    expect(apiError.headers?.get('x-budget-decision')).toBe('allow');
    expect(apiError.headers?.get('content-type')).toContain('application/json');
    const view = await runView(runcap, 'run-500');
    expect(view).toMatchObject({ committedMicros: 0, reservedMicros: 0 });
    const record = await decisionOf(runcap, apiError.headers?.get('x-budget-decision-id') ?? '');
    expect(record.state).toBe('released');
  });

  it('refuses another principal the use of a run', async () => {
    await client('run-owned', 'sk-owner').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: hello,
      max_tokens: 5,
    });
    const error = await client('run-owned', 'sk-intruder')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 })
      .catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('run_principal_mismatch');
    expect(fake.requests).toHaveLength(1);
  });

  it('issues a run id when the client sends none', async () => {
    const bare = new OpenAI({ baseURL: runcap.baseURL, apiKey: 'sk-anon', maxRetries: 0 });
    const { response } = await bare.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 5 })
      .withResponse();
    expect(response.headers.get('x-run-id')).toMatch(/^run_[0-9A-Z]{26}$/);
  });

  it('passes GET /v1/models through with the caller key', async () => {
    const models = [];
    for await (const model of client('run-models').models.list()) models.push(model.id);
    expect(models).toContain('gpt-4o-mini');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer sk-test-alice');
  });
});
