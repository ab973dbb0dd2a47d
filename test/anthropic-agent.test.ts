// E2E: an agent on the real @anthropic-ai/sdk through runcap to the fake Anthropic upstream, over
// real sockets: a tool-use loop, prompt caching (5-minute and 1-hour writes, reads), extended
// thinking, each call charged exactly what the usage says; refusals the SDK surfaces (a 402 as an
// APIError with the reason, not retried; a 429 velocity throttle with Retry-After) and the loop
// brake on Messages.
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { waitFor } from './support/wait.js';

const MAX_REPEATS = 2;
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      tenants: {
        default: {
          run: { default_limit_usd: '1.00', max_usd_per_minute: '0.05', max_repeated_steps: MAX_REPEATS },
          output: { max_tokens: 3000, default_max_tokens: 1000 },
        },
      },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => {
  fake.configure({ mode: 'ok', outputTokens: 20, promptTokens: 10, reasoningTokens: 0, toolCall: null });
  fake.clearRequests();
});

/** Requests the SDK made (its retries included). */
let sent = 0;
function client(runId: string, extra: Record<string, string> = {}, maxRetries = 0): Anthropic {
  return new Anthropic({
    baseURL: runcap.url,
    apiKey: null,
    maxRetries,
    defaultHeaders: { 'X-Api-Key': 'sk-ant-test-agent', 'X-Run-Id': runId, ...extra },
    fetch: (input, init) => {
      sent += 1;
      return fetch(input, init);
    },
  });
}

/** claude-sonnet-4-5 in nano-USD per token: input 3, output 15, cache read 0.3, 5m write 3.75, 1h write 6 (per 1M, USD). */
function sonnetMicros(usage: Anthropic.Usage): number {
  const c = usage.cache_creation;
  const write1h = c?.ephemeral_1h_input_tokens ?? 0;
  const write5m = c?.ephemeral_5m_input_tokens ?? (usage.cache_creation_input_tokens ?? 0) - write1h;
  const nano =
    usage.input_tokens * 3000 +
    (usage.cache_read_input_tokens ?? 0) * 300 +
    write5m * 3750 +
    write1h * 6000 +
    usage.output_tokens * 15000;
  return Math.ceil(nano / 1000);
}

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('an Anthropic SDK agent through runcap', () => {
  it('runs a tool-use loop to its answer, every call charged exactly', async () => {
    fake.configure({ toolCall: 'get_weather', toolArguments: '{"city":"Paris"}' });
    const anthropic = client('anth-tools');
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    let expected = 0;
    for (let step = 0; step < 4; step += 1) {
      const reply = await anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 500,
        tools: [weatherTool],
        messages,
      });
      expected += sonnetMicros(reply.usage);
      messages.push({ role: 'assistant', content: reply.content });
      if (reply.stop_reason !== 'tool_use') break;
      const call = reply.content.find((block) => block.type === 'tool_use');
      expect(call).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
      messages.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: call?.id ?? '', content: 'Sunny, 21 C' }],
      });
    }
    expect(messages).toHaveLength(4); // question, tool call, tool result, answer
    expect(messages[3]?.content).toEqual([expect.objectContaining({ type: 'text' })]);
    const view = await runView(runcap, 'anth-tools');
    expect(view.committedMicros).toBe(expected);
    expect(view.reservedMicros).toBe(0);
  });

  it('charges prompt caching exactly: a 5-minute write, then reads, then a 1-hour write', async () => {
    const anthropic = client('anth-cache');
    const manual = 'You are a careful assistant. '.repeat(200);
    const ask = (ttl: '5m' | '1h', text: string) =>
      anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        system: [{ type: 'text', text, cache_control: { type: 'ephemeral', ttl } }],
        messages: [{ role: 'user', content: 'Summarise the manual.' }],
      });
    const first = await ask('5m', manual);
    const second = await ask('5m', manual);
    const third = await ask('1h', `${manual} Also be brief.`);
    expect(first.usage.cache_creation?.ephemeral_5m_input_tokens).toBeGreaterThan(300);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(third.usage.cache_creation?.ephemeral_1h_input_tokens).toBeGreaterThan(300);
    const view = await runView(runcap, 'anth-cache');
    expect(view.committedMicros).toBe(
      sonnetMicros(first.usage) + sonnetMicros(second.usage) + sonnetMicros(third.usage),
    );
    // Each class at its own rate: the read is a tenth of the input rate, the writes 1.25x and 2x.
    expect(sonnetMicros(second.usage)).toBeLessThan(sonnetMicros(first.usage));
  });

  it('streams extended thinking and charges it as output; a lowered cap takes the thinking budget down', async () => {
    fake.configure({ reasoningTokens: 60, outputTokens: 25 });
    const stream = client('anth-think').messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 8000, // above the tenant's output.max_tokens (3000): clamped
      thinking: { type: 'enabled', budget_tokens: 6000 },
      messages: [{ role: 'user', content: 'Think, then answer.' }],
    });
    const final = await stream.finalMessage();
    expect(final.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(final.usage.output_tokens).toBe(85);
    const forwarded = fake.requests[0]?.body as Record<string, unknown>;
    expect(forwarded['max_tokens']).toBe(3000);
    expect(forwarded['thinking']).toEqual({ type: 'enabled', budget_tokens: 2999 });
    const view = await runView(runcap, 'anth-think');
    expect(view.committedMicros).toBe(sonnetMicros(final.usage));
  });

  it('surfaces a 402 as an APIError with status 402 and the reason, and the SDK does not retry it', async () => {
    sent = 0;
    const anthropic = client('anth-402', { 'X-Run-Budget-USD': '0.001' }, 3);
    const error = await anthropic.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user', content: 'Hi' }] })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(402);
    expect(apiError.message).toMatch(/^402 The run budget is exhausted: this call could cost up to \$0\.015/);
    expect(apiError.error).toMatchObject({
      type: 'error',
      error: { type: 'billing_error' },
      code: 'run_ceiling_reached',
      budget: { scope: 'run', run_id: 'anth-402', limit_usd: '0.001' },
    });
    expect(apiError.headers?.get('x-should-retry')).toBe('false');
    expect(apiError.headers?.get('x-budget-decision')).toBe('block');
    expect((apiError.error as Record<string, unknown>)['decision_id']).toBe(
      apiError.headers?.get('x-budget-decision-id'),
    );
    expect(sent).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });

  it('throttles a run spending too fast with 429 and Retry-After, which the SDK may retry', async () => {
    const anthropic = client('anth-fast');
    const call = (latencyMs: number) =>
      anthropic.messages.create(
        { model: 'claude-sonnet-4-5', max_tokens: 2000, messages: [{ role: 'user', content: 'Go' }] },
        { headers: { 'x-fake-latency-ms': String(latencyMs) } },
      );
    // The first call's hold ($0.03) is live while the second asks for as much: over $0.05 a minute.
    const first = call(1500);
    await waitFor(
      () => fake.requests.length,
      (n) => n === 1,
    );
    const error = await call(0).then(
      () => null,
      (caught: unknown) => caught,
    );
    await first;
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(429);
    expect(Number(apiError.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(apiError.headers?.get('x-should-retry')).toBe('true');
    expect(apiError.headers?.get('x-budget-decision')).toBe('throttle');
    expect(apiError.error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
      code: 'run_velocity_exceeded',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops a Messages loop that repeats its newest step with 402 run_loop_detected', async () => {
    const anthropic = client('anth-loop');
    const looped: Anthropic.MessageParam[] = [
      { role: 'user', content: 'List the files.' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'ls', input: { path: '.' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'error: try again' }] },
    ];
    const ask = () =>
      anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: looped }).then(
        () => 200,
        (caught: unknown) => (caught instanceof APIError ? caught : null),
      );
    for (let n = 0; n <= MAX_REPEATS; n += 1) expect(await ask()).toBe(200);
    const refused = await ask();
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(402);
    expect((refused as APIError).error).toMatchObject({
      type: 'error',
      error: { type: 'billing_error' },
      code: 'run_loop_detected',
      loop: { run_id: 'anth-loop', repeats: MAX_REPEATS + 1, max_repeated_steps: MAX_REPEATS },
    });
    // A new tool call id for the same action and result is the same step.
    looped[1] = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'ls', input: { path: '.' } }] };
    looped[2] = {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'error: try again' }],
    };
    expect(await ask()).toBeInstanceOf(APIError);
    const record = await decisionOf(runcap, (refused as APIError).headers?.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ decision: 'block', endpoint: 'messages', code: 'run_loop_detected' });
  });
});
