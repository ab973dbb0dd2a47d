// E2E: the @anthropic-ai/sdk -> runcap -> fake Anthropic upstream, POST /v1/messages over real
// sockets: create and stream, charged exactly; passthrough keys in x-api-key or Authorization;
// the query string and the Anthropic headers forwarded; count_tokens unmetered; HEAD /.
import Anthropic from '@anthropic-ai/sdk';
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
  fake.configure({ mode: 'ok', outputTokens: 20, promptTokens: 10 });
  fake.clearRequests();
});

/**
 * The SDK's own client with the key in `x-api-key` (as Claude Code and the Anthropic SDKs before
 * 1.x send it), or with `bearer` as `apiKey` (this SDK sends it as Authorization: Bearer).
 */
function client(runId: string, options: { bearer?: boolean } = {}): Anthropic {
  const key = 'sk-ant-test-alice';
  return new Anthropic({
    baseURL: runcap.url,
    apiKey: options.bearer === true ? key : null,
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, ...(options.bearer === true ? {} : { 'X-Api-Key': key }) },
  });
}

const hello = [{ role: 'user' as const, content: 'Hello' }];

describe('POST /v1/messages through runcap', () => {
  it('creates a message, forwards it unchanged with the caller key in x-api-key, and charges it exactly', async () => {
    const { data, response } = await client('anth-create')
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: hello })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text' });
    expect(data.usage.output_tokens).toBe(20);
    expect(response.headers.get('x-budget-decision')).toBe('allow');
    expect(response.headers.get('x-run-id')).toBe('anth-create');
    expect(response.headers.get('x-budget-reservation-id')).toMatch(/^rsv_/);
    const forwarded = fake.requests[0];
    expect(forwarded?.path).toBe('/v1/messages');
    expect(forwarded?.headers['x-api-key']).toBe('sk-ant-test-alice');
    expect(forwarded?.headers.authorization).toBeUndefined();
    expect(forwarded?.headers['anthropic-version']).toBe(fake.requests[0]?.headers['anthropic-version']);
    expect(forwarded?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(forwarded?.headers['x-run-id']).toBeUndefined();
    expect(forwarded?.body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: hello });
    // claude-sonnet-4-5: 10 input x $3/1M + 20 output x $15/1M = 30 + 300 micro-USD.
    const view = await runView(runcap, 'anth-create');
    expect(view.committedMicros).toBe(330);
    expect(view.reservedMicros).toBe(0);
    const record = await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ endpoint: 'messages', actual_usd: '0.00033', usage_source: 'provider' });
  });

  it('streams the real event sequence through untouched and commits message_start + message_delta usage', async () => {
    fake.configure({ outputTokens: 30, promptTokens: 40 });
    const stream = client('anth-stream').messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: hello,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect(final.usage).toMatchObject({ input_tokens: 40, output_tokens: 30 });
    expect(final.content[0]).toMatchObject({ type: 'text' });
    // 40 x 3 + 30 x 15 = 120 + 450 micro-USD.
    const view = await runView(runcap, 'anth-stream');
    expect(view.committedMicros).toBe(570);
    expect(view.reservedMicros).toBe(0);
  });

  it('accepts the key in Authorization too (the same principal as in x-api-key) and forwards it there', async () => {
    await client('anth-bearer', { bearer: true }).messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: hello,
    });
    const forwarded = fake.requests[0];
    expect(forwarded?.headers.authorization).toBe('Bearer sk-ant-test-alice');
    expect(forwarded?.headers['x-api-key']).toBeUndefined();
    // The same key through x-api-key names the same run: the same principal.
    await client('anth-bearer').messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: hello });
    expect((await runView(runcap, 'anth-bearer')).committedMicros).toBe(2 * 330);
  });

  it('forwards the query string and the anthropic-beta header as they are', async () => {
    await client('anth-beta').beta.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 50, messages: hello, betas: ['context-management-2025-06-27'] },
      { query: { beta: 'true' } },
    );
    const forwarded = fake.requests[0];
    expect(forwarded?.path).toBe('/v1/messages?beta=true');
    expect(forwarded?.headers['anthropic-beta']).toBe('context-management-2025-06-27');
    expect((await runView(runcap, 'anth-beta')).committedMicros).toBe(330);
  });

  it('refuses a call without a key in Anthropic error shape, before reading it', async () => {
    const response = await fetch(`${runcap.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: hello }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' }, code: 'unauthenticated' });
    expect(fake.requests).toHaveLength(0);
  });

  it('passes count_tokens through unmetered, and answers HEAD / with 200', async () => {
    const counted = await client('anth-count').messages.countTokens({ model: 'claude-sonnet-4-5', messages: hello });
    expect(counted.input_tokens).toBe(10);
    expect(fake.requests[0]?.path).toBe('/v1/messages/count_tokens');
    expect(fake.requests[0]?.headers['x-api-key']).toBe('sk-ant-test-alice');
    expect(await runcap.store.runs.get('default', 'anth-count')).toBeNull();
    const head = await fetch(`${runcap.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});
