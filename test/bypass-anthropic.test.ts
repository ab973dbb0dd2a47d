// E2E: what a client cannot make runcap under-hold or under-charge on POST /v1/messages, with the
// real @anthropic-ai/sdk against the fake Anthropic upstream: a huge max_tokens, cache writes
// (5-minute, 1-hour) that cost more than input, the long-context tier, a cut stream, a stream
// ended by `event: error`, an upstream error; and whose key goes where (x-api-key only ever to
// Anthropic, virtual keys routed to the provider's upstream, key verdicts kept per provider).
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/auth.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { decisionOf, runView } from './support/ledger-views.js';

const VIRTUAL_KEY = 'rk-virtual-anthropic-bob';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      passthrough: true,
      tenants: { default: { run: { default_limit_usd: '5.00' } } },
      keys: [{ id: 'k_bob', sha256: sha256Hex(VIRTUAL_KEY), upstream: 'openai' }],
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => {
  fake.configure({ mode: 'ok', outputTokens: 20, promptTokens: 10, rejectKeys: null, failAfterChunks: 2 });
  fake.clearRequests();
});

function client(runId: string, key = 'sk-ant-test-carol', extra: Record<string, string> = {}): Anthropic {
  return new Anthropic({
    baseURL: runcap.url,
    apiKey: null,
    maxRetries: 0,
    defaultHeaders: { 'X-Api-Key': key, 'X-Run-Id': runId, ...extra },
  });
}

async function settledRecord(response: Response): Promise<Record<string, unknown>> {
  return decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
}

const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i % 97}`).join(' ');

describe('the hold of a Messages call covers what the client can make the provider bill', () => {
  it('clamps a huge max_tokens to the tenant maximum, writes it upstream and holds exactly that', async () => {
    // Raw HTTP: the SDK itself refuses to send a non-streaming call this large.
    const response = await fetch(`${runcap.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test-carol', 'x-run-id': 'anth-huge', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10_000_000,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(response.status).toBe(200);
    expect((fake.requests[0]?.body as Record<string, unknown>)['max_tokens']).toBe(32_768);
    const record = await settledRecord(response);
    expect(record).toMatchObject({
      client_requested_max_output_tokens: 10_000_000,
      effective_max_output_tokens: 32_768,
      input_rate: 'input',
    });
    // No cache_control: every input token at the input rate ($3/1M), the cap at $15/1M.
    const input = Number(record['input_tokens']);
    expect(Number(record['estimate_usd']).toFixed(6)).toBe(((input * 3 + 32_768 * 15) / 1e6).toFixed(6));
  });

  it('holds the input at the 5-minute and 1-hour cache-write rates when the request can write the cache', async () => {
    const ask = async (control: Anthropic.CacheControlEphemeral | null, runId: string) => {
      const block = { type: 'text' as const, text: words(3000), ...(control ? { cache_control: control } : {}) };
      const { response } = await client(runId)
        .messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          system: [block],
          messages: [{ role: 'user', content: 'Go' }],
        })
        .withResponse();
      return settledRecord(response);
    };
    const plain = await ask(null, 'anth-cache-plain');
    const five = await ask({ type: 'ephemeral' }, 'anth-cache-5m');
    const hour = await ask({ type: 'ephemeral', ttl: '1h' }, 'anth-cache-1h');
    expect([plain['input_rate'], five['input_rate'], hour['input_rate']]).toEqual([
      'input',
      'cache_write',
      'cache_write_1h',
    ]);
    const input = Number(plain['input_tokens']);
    expect(Number(five['input_tokens'])).toBe(input);
    const usd = (rate: number): string => ((input * rate + 100 * 15) / 1e6).toFixed(6);
    expect(Number(plain['estimate_usd']).toFixed(6)).toBe(usd(3));
    expect(Number(five['estimate_usd']).toFixed(6)).toBe(usd(3.75));
    expect(Number(hour['estimate_usd']).toFixed(6)).toBe(usd(6));
    // The fake wrote the cache at the class asked for, and each call stayed within its hold.
    for (const record of [five, hour]) expect(record).toMatchObject({ usage_source: 'provider', overrun_usd: '0.00' });
    expect((hour['usage'] as Record<string, number>)['cache_write_1h_tokens']).toBeGreaterThan(3000);
  });

  it('refuses a 1-hour cache write that the run could only afford at the input rate', async () => {
    const body = (control: Anthropic.CacheControlEphemeral | null) => ({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      system: [{ type: 'text' as const, text: words(3000), ...(control ? { cache_control: control } : {}) }],
      messages: [{ role: 'user' as const, content: 'Go' }],
    });
    // ~8,400 input tokens: about $0.025 at the input rate, $0.05 at the 1-hour write rate.
    const budget = { 'X-Run-Budget-USD': '0.04' };
    await client('anth-escalate', 'sk-ant-test-carol', budget).messages.create(body(null));
    const refused = await client('anth-escalate-1h', 'sk-ant-test-carol', budget)
      .messages.create(body({ type: 'ephemeral', ttl: '1h' }))
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(402);
    expect((refused as APIError).error).toMatchObject({ code: 'run_ceiling_reached' });
    expect(fake.requests).toHaveLength(1);
  });

  it('holds and charges the long-context tier above its threshold', async () => {
    // claude-haiku-5-5: $0.10 / $0.50 per 1M below 100,000 input tokens, $0.50 / $2.50 above.
    fake.configure({ promptTokens: 120_000 });
    const { response } = await client('anth-long')
      .messages.create({
        model: 'claude-haiku-5-5',
        max_tokens: 1000,
        messages: [{ role: 'user', content: words(80_000) }],
      })
      .withResponse();
    const record = await settledRecord(response);
    const input = Number(record['input_tokens']);
    expect(input).toBeGreaterThan(100_000);
    expect(Number(record['estimate_usd']).toFixed(6)).toBe(((input * 0.5 + 1000 * 2.5) / 1e6).toFixed(6));
    // 120,000 x $0.50/1M + 20 x $2.50/1M = 60,000 + 50 micro-USD.
    expect((await runView(runcap, 'anth-long')).committedMicros).toBe(60_050);
  });
});

describe('server tools Anthropic runs and invoices per call', () => {
  const search = (extra: Record<string, unknown>) => ({ type: 'web_search_20250305', name: 'web_search', ...extra });
  const post = (runId: string, tools: unknown[]) =>
    fetch(`${runcap.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test-carol', 'x-run-id': runId, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: 'News?' }],
      }),
    });

  it('holds max_uses searches at $0.01 each (and their re-reads) and charges the searches the usage reports', async () => {
    const response = await post('anth-search', [search({ max_uses: 3 })]);
    expect(response.status).toBe(200);
    const record = await settledRecord(response);
    expect(record).toMatchObject({
      hosted_tools: { max_calls: 3, max_fee_per_call_usd: '0.01' },
      hosted_tool_calls: { web_search_requests: 1 },
      hosted_tool_fees_usd: '0.01',
    });
    // 10 input x $3/1M + 20 output x $15/1M + one search at $0.01.
    expect((await runView(runcap, 'anth-search')).committedMicros).toBe(330 + 10_000);
  });

  it('refuses a search without max_uses, and code execution until the tenant prices it', async () => {
    const unbounded = await post('anth-search-unbounded', [search({})]);
    expect(unbounded.status).toBe(400);
    expect(await unbounded.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
      code: 'max_tool_calls_required',
      param: 'max_uses',
    });
    const code = await post('anth-code', [{ type: 'code_execution_20250825', name: 'code_execution', max_uses: 2 }]);
    expect(code.status).toBe(403);
    expect(await code.json()).toMatchObject({ error: { type: 'permission_error' }, code: 'price_unknown' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a Messages stream that does not end well is still charged', () => {
  it('commits a cut stream from what was streamed, its input side from message_start', async () => {
    fake.configure({ mode: 'reset', promptTokens: 500, outputTokens: 40, chunks: 8, failAfterChunks: 3 });
    const stream = client('anth-cut').messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Go' }],
    });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    await expect(stream.finalMessage()).rejects.toThrow();
    const view = await waitSettled('anth-cut');
    // 500 input tokens exactly (message_start) at $3/1M, plus the streamed text's tokens at $15/1M.
    expect(view.committedMicros).toBeGreaterThan(500 * 3);
    expect(view.committedMicros).toBeLessThan(500 * 3 + 40 * 15 * 2);
    const [record] = await decisionsOf('anth-cut');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'cut', state: 'settled' });
    expect((record?.['usage'] as Record<string, number>)['input_tokens']).toBe(500);
    expect(texts.join('')).not.toBe('');
  });

  it('charges a stream ended by event: error like any stream without usage, and the SDK throws', async () => {
    fake.configure({ mode: 'stream_error', promptTokens: 300, failAfterChunks: 2 });
    const stream = client('anth-stream-error').messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Go' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    const view = await waitSettled('anth-stream-error');
    expect(view.committedMicros).toBeGreaterThanOrEqual(300 * 3);
    const [record] = await decisionsOf('anth-stream-error');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'stream_without_usage' });
  });

  it('releases the hold when the provider answers with an error, passing its error through', async () => {
    fake.configure({ mode: 'error500' });
    const error = await client('anth-500')
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Go' }] })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect((error as APIError).status).toBe(500);
    expect((error as APIError).error).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'Internal server error' },
      request_id: null,
    });
    const view = await waitSettled('anth-500');
    expect(view.committedMicros).toBe(0);
  });
});

describe('keys on the Anthropic endpoints', () => {
  it('routes a virtual key to the anthropic upstream with runcap key in x-api-key, and to OpenAI with a bearer', async () => {
    await client('anth-virtual', VIRTUAL_KEY, {
      'anthropic-beta': 'prompt-caching-2024-07-31',
      'OpenAI-Beta': 'assistants=v2',
      'OpenAI-Organization': 'org-someone-elses',
      'X-Custom-Trace': 'dropped',
    }).messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const toAnthropic = fake.requests[0];
    expect(toAnthropic?.path).toBe('/v1/messages');
    expect(toAnthropic?.headers['x-api-key']).toBe('sk-ant-provider-secret');
    expect(toAnthropic?.headers.authorization).toBeUndefined();
    // A virtual key's allow-list is its provider's: Anthropic's headers, not OpenAI's.
    expect(toAnthropic?.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
    expect(toAnthropic?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(toAnthropic?.headers['openai-beta']).toBeUndefined();
    expect(toAnthropic?.headers['openai-organization']).toBeUndefined();
    expect(toAnthropic?.headers['x-custom-trace']).toBeUndefined();
    // The same virtual key as a bearer on an OpenAI endpoint: runcap's OpenAI key, never x-api-key.
    const chat = await fetch(`${runcap.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${VIRTUAL_KEY}`,
        'x-api-key': 'sk-ant-must-not-leak',
        'anthropic-beta': 'not-for-openai',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(chat.status).toBe(200);
    const toOpenAI = fake.requests[1];
    expect(toOpenAI?.headers.authorization).toBe('Bearer sk-provider-secret');
    expect(toOpenAI?.headers['x-api-key']).toBeUndefined();
    expect(toOpenAI?.headers['anthropic-beta']).toBeUndefined();
  });

  it('takes no key from x-api-key on an OpenAI endpoint', async () => {
    const response = await fetch(`${runcap.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test-carol', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(401);
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps the verdict on a passthrough key per provider', async () => {
    fake.configure({ rejectKeys: /^sk-both-/ });
    const rejected = await client('anth-verdict', 'sk-both-dave')
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect((rejected as APIError).status).toBe(401);
    fake.configure({ rejectKeys: null });
    fake.clearRequests();
    // Anthropic rejected it: refused by runcap for a while, without reaching the provider...
    const again = await client('anth-verdict', 'sk-both-dave')
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect((again as APIError).status).toBe(401);
    expect((again as APIError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(fake.requests).toHaveLength(0);
    // ... but OpenAI never did: the same key still reaches it.
    const chat = await fetch(`${runcap.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-both-dave', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(chat.status).toBe(200);
  });
});

async function waitSettled(runId: string): Promise<Awaited<ReturnType<typeof runView>>> {
  await runcap.server.deps.tasks.drain(10_000);
  const view = await runView(runcap, runId);
  expect(view.reservedMicros).toBe(0);
  return view;
}

async function decisionsOf(runId: string): Promise<Record<string, unknown>[]> {
  await runcap.server.deps.tasks.drain(10_000);
  const page = await runcap.store.decisions.listByRun({ tenant: 'default', runId, limit: 10 });
  return page.map((decision) => decision.record as Record<string, unknown>);
}
