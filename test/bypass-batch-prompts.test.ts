// Issue 11 item 1, over real sockets with the openai SDK: a legacy /v1/completions call with an
// array `prompt` generates (and is billed) max_tokens for EVERY prompt, so the hold must multiply
// the output part by the number of prompts as well as max(n, best_of), and count every prompt's
// input (with its suffix). The fake upstream bills a batch the way the real API does.
import OpenAI from 'openai';
import { get_encoding } from 'tiktoken';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

// The provider bills every prompt's tokens (cl100k_base for this model); every generation runs to its cap.
const cl100k = get_encoding('cl100k_base');
const billedPromptTokens = (prompt: unknown): number =>
  (Array.isArray(prompt) ? prompt : [prompt]).reduce<number>(
    (sum, one) =>
      sum + (typeof one === 'string' ? cl100k.encode_ordinary(one).length : Array.isArray(one) ? one.length : 1),
    0,
  );
beforeAll(async () => {
  fake = await startFakeUpstream({
    outputTokens: 1_000_000,
    promptTokens: (body) => billedPromptTokens(body['prompt']),
  });
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
  cl100k.free();
});
afterEach(() => fake.clearRequests());

const agent = (runId: string, budgetUsd: string): OpenAI =>
  new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: 'sk-batch',
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, 'X-Run-Budget-USD': budgetUsd },
  });

// gpt-3.5-turbo-instruct: $1.50 in, $2.00 out per 1M tokens.
const outputMicros = (tokens: number): number => tokens * 2;
const prompts = (count: number): string[] => Array.from({ length: count }, (_, i) => `Prompt number ${i}`);

describe('batch prompts on /v1/completions', () => {
  it('refuses 50 prompts x 1000 tokens on a $0.05 run instead of letting it spend $0.10', async () => {
    const call = agent('run-batch-50', '0.05').completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: prompts(50),
      max_tokens: 1000,
    });
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    // Money first: nothing spent, nothing held, the whole $0.05 left (on old main: -$0.05).
    const run = await runView(runcap, 'run-batch-50');
    expect(run).toMatchObject({ committedMicros: 0, reservedMicros: 0, availableMicros: 50_000 });
    expect(fake.requests).toHaveLength(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const refusal = error as InstanceType<typeof OpenAI.APIError>;
    expect(refusal.status).toBe(402);
    const budget = (refusal.error as { budget?: Record<string, unknown> } | undefined)?.budget;
    // The hold: 50 x 1000 output tokens ($0.10) plus every prompt's input.
    expect(Number(budget?.['estimate_usd'])).toBeGreaterThanOrEqual(outputMicros(50 * 1000) / 1e6);
  });

  it('holds a batch that fits at its worst case, so the provider bill never exceeds the hold', async () => {
    const { data, response } = await agent('run-batch-5', '0.05')
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: prompts(5), max_tokens: 1000, n: 2 })
      .withResponse();
    expect(data.choices).toHaveLength(10);
    const id = response.headers.get('x-budget-decision-id') ?? '';
    const record = await waitFor(
      () => decisionOf(runcap, id),
      (r) => r.state !== 'pending',
    );
    // Billed: 5 prompts x 2 choices x 1000 tokens out, 5 x 5 tokens in.
    const billedMicros = Math.ceil(outputMicros(10_000) + billedPromptTokens(prompts(5)) * 1.5);
    expect(Math.round(Number(record.estimate_usd) * 1e6)).toBeGreaterThanOrEqual(billedMicros);
    expect(Math.round(Number(record.actual_usd) * 1e6)).toBe(billedMicros);
    expect(Number(record.overrun_usd)).toBe(0);
    expect(record.output_multiplier).toBe(10);
    const run = await runView(runcap, 'run-batch-5');
    expect(run.committedMicros).toBe(billedMicros);
    expect(run.availableMicros).toBe(50_000 - billedMicros);
  });

  it('counts arrays of token arrays as one prompt each', async () => {
    const tokenPrompts = Array.from({ length: 30 }, (_, i) => [100 + i, 200, 300]);
    const error = await agent('run-batch-tokens', '0.05')
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: tokenPrompts, max_tokens: 1000 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(await runView(runcap, 'run-batch-tokens')).toMatchObject({ committedMicros: 0, availableMicros: 50_000 });
    expect(fake.requests).toHaveLength(0);
    expect((error as { status?: number } | null)?.status).toBe(402);
  });
});
