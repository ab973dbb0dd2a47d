// Issue 11 item 4, over real sockets with the openai SDK: tools the provider runs itself are
// invoiced per call besides the tokens, and every call makes the model read the context again;
// chat predicted outputs bill the rejected prediction tokens as output. The fake upstream bills
// tokens the way the real API does; the provider's invoice adds the per-call fees. runcap must
// hold (and commit) all of it, or refuse what it cannot bound.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderSide } from './support/fake-provider-side.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let strict: TestRuncap; // default policy: hosted calls need max_tool_calls
let lenient: TestRuncap; // hosted_tools.default_max_calls, result bound, budget clamping, a search model
const side = createProviderSide();
side.hostedToolCalls = 5;
side.resultTokensPerCall = 8_000;
const OWN_PROMPT_TOKENS = 5;
const OUTPUT_TOKENS = 20;

beforeAll(async () => {
  fake = await startFakeUpstream({ promptTokens: OWN_PROMPT_TOKENS, outputTokens: OUTPUT_TOKENS, provider: side });
  strict = await startRuncap({ upstreamUrl: fake.url });
  lenient = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      tenants: {
        default: {
          budget_clamp: true,
          hosted_tools: { default_max_calls: 3, result_tokens_per_call: 10_000 },
          price_overrides: {
            'gpt-4o-search-preview': {
              provider: 'openai',
              encoding: 'o200k_base',
              input: '2.50',
              output: '10.00',
              context_window: 128000,
              max_output_tokens: 16384,
            },
          },
        },
      },
    },
  });
});
afterAll(async () => {
  await strict.stop();
  await lenient.stop();
  await fake.close();
});
afterEach(() => {
  fake.clearRequests();
  fake.configure({ outputTokens: OUTPUT_TOKENS });
});

const agent = (runcap: TestRuncap, runId: string, budgetUsd: string): OpenAI =>
  new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: 'sk-hosted-tools',
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, 'X-Run-Budget-USD': budgetUsd },
  });
const micros = (usd: unknown): number => Math.round(Number(usd) * 1e6);
/** `max_tool_calls` is part of the API but not of this SDK version's create params: sent as an extra field. */
const maxToolCalls = (calls: number): object => ({ max_tool_calls: calls });
/** What a run has spent (0 when a refusal came before the run was opened). */
const spent = async (runcap: TestRuncap, runId: string): Promise<number> =>
  (await runcap.store.runs.get('default', runId)) === null ? 0 : (await runView(runcap, runId)).committedMicros;
const settled = (runcap: TestRuncap, response: Response) =>
  waitFor(
    () => decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? ''),
    (record) => record.state !== 'pending',
  );
const failure = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => null,
    (e: unknown) => e,
  );

/** Input the fake bills for a response with `calls` hosted calls: every step re-reads the context. */
const steppedInput = (calls: number): number =>
  Array.from({ length: calls + 1 }, (_, step) => OWN_PROMPT_TOKENS + step * side.resultTokensPerCall).reduce(
    (a, b) => a + b,
  );
/** What the provider invoices on gpt-4o-mini ($0.15 in, $0.60 out per 1M) plus per-call fees. */
const invoiceMicros = (inputTokens: number, outputTokens: number, feesMicros: number): number =>
  Math.ceil(inputTokens * 0.15 + outputTokens * 0.6) + feesMicros;

describe('hosted tools in the Responses API', () => {
  it('refuses web_search without max_tool_calls (5 searches would bill $0.068 on a $0.05 run)', async () => {
    const error = await failure(
      agent(strict, 'run-search-unbounded', '0.05').responses.create({
        model: 'gpt-4o-mini',
        input: 'What happened today?',
        tools: [{ type: 'web_search' }],
        max_output_tokens: 64,
      }),
    );
    expect(await spent(strict, 'run-search-unbounded')).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(error).toMatchObject({ status: 400, code: 'max_tool_calls_required', param: 'max_tool_calls' });
    expect((error as Error).message).toContain('hosted_tools.default_max_calls');
  });

  it('holds and commits every search call: fee plus a re-read of the context each', async () => {
    const { response } = await agent(strict, 'run-search-2', '1.00')
      .responses.create({
        model: 'gpt-4o-mini',
        input: 'What happened today?',
        tools: [{ type: 'web_search' }],
        ...maxToolCalls(2),
        max_output_tokens: 64,
      })
      .withResponse();
    const record = await settled(strict, response);
    // The provider invoices 2 searches at $0.01 and the tokens of 3 passes over the context.
    const invoice = invoiceMicros(steppedInput(2), OUTPUT_TOKENS, 2 * 10_000);
    expect(micros(record.actual_usd)).toBe(invoice);
    expect(micros(record.overrun_usd)).toBe(0);
    expect(micros(record.estimate_usd)).toBeGreaterThanOrEqual(invoice);
    expect(record).toMatchObject({
      hosted_tool_calls: { web_search_call: 2 },
      hosted_tool_fees_usd: '0.02',
      hosted_tools: { max_calls: 2, calls_source: 'request', reread_input_tokens_per_call: 128_000 },
    });
    expect(await runView(strict, 'run-search-2')).toMatchObject({
      committedMicros: invoice,
      reservedMicros: 0,
      availableMicros: 1_000_000 - invoice,
    });
  });

  it('commits the search fees of a background response when it ends (read from the polled response)', async () => {
    const { data, response } = await agent(strict, 'run-search-background', '1.00')
      .responses.create({
        model: 'gpt-4o-mini',
        input: 'Research this in the background',
        tools: [{ type: 'web_search' }],
        ...maxToolCalls(2),
        max_output_tokens: 64,
        background: true,
      })
      .withResponse();
    expect(data.status).toBe('queued');
    const record = await settled(strict, response);
    const invoice = invoiceMicros(steppedInput(2), OUTPUT_TOKENS, 2 * 10_000);
    expect(micros(record.actual_usd)).toBe(invoice);
    expect(record).toMatchObject({ hosted_tool_calls: { web_search_call: 2 }, hosted_tool_fees_usd: '0.02' });
    expect(await runView(strict, 'run-search-background')).toMatchObject({
      committedMicros: invoice,
      reservedMicros: 0,
    });
  });

  it('refuses a code-interpreter container that the run cannot pay for ($0.12 for 4 GB)', async () => {
    const error = await failure(
      agent(strict, 'run-code-4g', '0.10').responses.create({
        model: 'gpt-4o-mini',
        input: 'Plot it',
        tools: [{ type: 'code_interpreter', container: { type: 'auto', memory_limit: '4g' } }],
        ...maxToolCalls(1),
        max_output_tokens: 64,
      }),
    );
    expect(await runView(strict, 'run-code-4g')).toMatchObject({ committedMicros: 0, availableMicros: 100_000 });
    expect(fake.requests).toHaveLength(0);
    expect(error).toMatchObject({ status: 402 });
    expect((error as Error).message).toContain('up to 1 hosted tool calls at up to $0.12 each');
  });

  it('refuses a hosted tool it has no fee for, unless the tenant prices it', async () => {
    const error = await failure(
      agent(strict, 'run-unknown-tool', '1.00').responses.create({
        model: 'gpt-4o-mini',
        input: 'Go',
        tools: [{ type: 'programmatic_tool_calling' }],
        ...maxToolCalls(1),
        max_output_tokens: 64,
      }),
    );
    expect(await spent(strict, 'run-unknown-tool')).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(error).toMatchObject({ status: 403, code: 'price_unknown', param: 'tools[0]' });
    expect((error as Error).message).toContain('hosted_tools.fees_usd.programmatic_tool_calling');
  });

  it('writes the tenant default into max_tool_calls, and meters a stream of calls', async () => {
    const { data: stream, response } = await agent(lenient, 'run-search-default', '1.00')
      .responses.create({
        model: 'gpt-4o-mini',
        input: 'Research this',
        tools: [{ type: 'web_search_preview' }],
        max_output_tokens: 64,
        stream: true,
      })
      .withResponse();
    for await (const _event of stream) void _event;
    const record = await settled(lenient, response);
    expect((fake.requests[0]?.body as Record<string, unknown>)['max_tool_calls']).toBe(3);
    // 3 calls at $0.025 (web_search_preview) and 4 passes over the context.
    const invoice = invoiceMicros(steppedInput(3), OUTPUT_TOKENS, 3 * 25_000);
    expect(micros(record.actual_usd)).toBe(invoice);
    expect(micros(record.overrun_usd)).toBe(0);
    expect(record.hosted_tools).toMatchObject({ max_calls: 3, calls_source: 'tenant_default' });
    expect(await runView(lenient, 'run-search-default')).toMatchObject({ committedMicros: invoice, reservedMicros: 0 });
  });
});

describe('chat web search', () => {
  it('commits the search fee of a search model with the tokens', async () => {
    const { response } = await agent(lenient, 'run-chat-search', '1.00')
      .chat.completions.create({
        model: 'gpt-4o-search-preview',
        web_search_options: {},
        messages: [{ role: 'user', content: 'News?' }],
        max_completion_tokens: 64,
      })
      .withResponse();
    const record = await settled(lenient, response);
    // $2.50 in, $10 out per 1M, plus one search at $0.025.
    const invoice = Math.ceil(OWN_PROMPT_TOKENS * 2.5 + OUTPUT_TOKENS * 10) + 25_000;
    expect(micros(record.actual_usd)).toBe(invoice);
    expect(micros(record.overrun_usd)).toBe(0);
    expect(await runView(lenient, 'run-chat-search')).toMatchObject({ committedMicros: invoice });
  });
});

describe('chat predicted outputs', () => {
  const prediction = (words: number) => ({ type: 'content' as const, content: ' hello'.repeat(words) });

  it('holds the rejected prediction tokens as output (a 20,000-token prediction bills $0.20 on a $0.05 run)', async () => {
    const error = await failure(
      agent(strict, 'run-prediction', '0.05').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Refactor this file' }],
        prediction: prediction(20_000),
        max_completion_tokens: 100,
      }),
    );
    expect(await runView(strict, 'run-prediction')).toMatchObject({ committedMicros: 0, availableMicros: 50_000 });
    expect(fake.requests).toHaveLength(0);
    expect(error).toMatchObject({ status: 402 });
    expect((error as Error).message).toContain('20000 predicted-output tokens');
  });

  it('admits a prediction that fits, forwards the cap unchanged and commits the rejected tokens', async () => {
    const { response } = await agent(strict, 'run-prediction-fits', '1.00')
      .chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Refactor this file' }],
        prediction: prediction(1_000),
        max_completion_tokens: 100,
      })
      .withResponse();
    const record = await settled(strict, response);
    expect((fake.requests[0]?.body as Record<string, unknown>)['max_completion_tokens']).toBe(100);
    // gpt-4o: $2.50 in, $10 out; 1,000 rejected + 20 generated output tokens.
    const invoice = Math.ceil(OWN_PROMPT_TOKENS * 2.5 + 1_020 * 10);
    expect(micros(record.actual_usd)).toBe(invoice);
    expect(micros(record.overrun_usd)).toBe(0);
    expect(record).toMatchObject({ extra_output_tokens: 1_000, effective_max_output_tokens: 100 });
  });

  it('commits a cut stream with the whole prediction as output (rejected tokens are never streamed)', async () => {
    const { data: stream, response } = await agent(strict, 'run-prediction-cut', '1.00')
      .chat.completions.create(
        {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: 'Refactor this file' }],
          prediction: prediction(1_000),
          max_completion_tokens: 100,
          stream: true,
        },
        { headers: { 'x-fake-mode': 'reset' } },
      )
      .withResponse();
    await expect(
      (async () => {
        for await (const _chunk of stream) void _chunk;
      })(),
    ).rejects.toThrow();
    const record = await settled(strict, response);
    expect(record.usage_source).toBe('estimated');
    expect((record.usage as Record<string, number>).output_tokens).toBeGreaterThanOrEqual(1_000);
    expect(micros(record.actual_usd)).toBeGreaterThanOrEqual(1_000 * 10);
  });

  it('budget clamping leaves room for the rejected prediction tokens', async () => {
    fake.configure({ outputTokens: 100_000 }); // the model writes up to whatever cap it gets
    const { response } = await agent(lenient, 'run-prediction-clamp', '0.02')
      .chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Refactor this file' }],
        prediction: prediction(1_000),
        max_completion_tokens: 2_000,
      })
      .withResponse();
    expect(response.headers.get('x-budget-output-clamped')).toBe('true');
    const record = await settled(lenient, response);
    const cap = (fake.requests[0]?.body as Record<string, number>)['max_completion_tokens'] as number;
    expect(cap).toBeLessThan(1_000);
    // The provider billed the cap plus the 1,000 rejected tokens: within the hold and the $0.02 run.
    expect(micros(record.overrun_usd)).toBe(0);
    const run = await runView(lenient, 'run-prediction-clamp');
    expect(run.committedMicros).toBe(Math.ceil(OWN_PROMPT_TOKENS * 2.5 + (cap + 1_000) * 10));
    expect(run.availableMicros).toBeGreaterThanOrEqual(0);
  });
});
