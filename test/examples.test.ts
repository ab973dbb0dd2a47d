// Runs every README snippet in examples/ against the fake upstream through a real runcap, and
// checks each call was metered: runcap's ledger has the run, the upstream saw the request.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAgentThroughRuncap } from '../examples/agents-sdk.js';
import { askClaudeThroughRuncap } from '../examples/anthropic-sdk.js';
import { callWithBudget } from '../examples/budget-aware-agent.js';
import { askWithLangChain } from '../examples/langchain.js';
import { askThroughRuncap } from '../examples/openai-sdk.js';
import { askWithAiSdk } from '../examples/vercel-ai-sdk.js';
import { parseUsd } from '../src/money/micros.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const API_KEY = 'sk-example-key';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

/** The run is in runcap's ledger with a settled cost, and the upstream saw exactly one call on `path`, without runcap's headers. */
async function expectMetered(runId: string, path: string): Promise<void> {
  const view = await runView(runcap, runId);
  expect(view.committedMicros).toBeGreaterThan(0);
  expect(view.reservedMicros).toBe(0);
  expect(fake.requests.map((r) => r.path)).toEqual([path]);
  const [seen] = fake.requests;
  expect(seen?.headers.authorization).toBe(`Bearer ${API_KEY}`); // passthrough: the caller's key, unchanged
  expect(seen?.headers['x-run-id']).toBeUndefined(); // runcap's own headers stay with runcap
}

describe('README examples through runcap', () => {
  it('openai-sdk.ts: one call, budget headers read with .withResponse()', async () => {
    const reply = await askThroughRuncap({ baseURL: runcap.baseURL, apiKey: API_KEY, runId: 'ex-openai-sdk' });
    expect(reply.text.startsWith('Hello from the fake upstream')).toBe(true);
    expect(reply.decision).toBe('allow');
    expect(reply.decisionId).toMatch(/^bdgdec_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(parseUsd(reply.remainingUsd)).toBeLessThan(parseUsd('5.00')); // the default run ceiling, minus this call's hold
    await expectMetered('ex-openai-sdk', '/v1/chat/completions');
  });

  it('openai-sdk.ts: baseURL and key default to OPENAI_BASE_URL / OPENAI_API_KEY', async () => {
    const saved = { base: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
    process.env.OPENAI_BASE_URL = runcap.baseURL;
    process.env.OPENAI_API_KEY = API_KEY;
    try {
      const reply = await askThroughRuncap({ runId: 'ex-openai-env' });
      expect(reply.decision).toBe('allow');
    } finally {
      for (const [name, value] of [
        ['OPENAI_BASE_URL', saved.base],
        ['OPENAI_API_KEY', saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    await expectMetered('ex-openai-env', '/v1/chat/completions');
  });

  it('budget-aware-agent.ts: a 402 is retried once on the first alternative', async () => {
    // $0.005 cannot hold gpt-4o's worst case (1,000 output tokens at $10/M) but can hold gpt-4o-mini's.
    const client = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: API_KEY,
      maxRetries: 0,
      defaultHeaders: { 'X-Run-Id': 'ex-budget-retry', 'X-Run-Budget-USD': '0.005' },
    });
    const reply = await callWithBudget(client, {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Plan the next step.' }],
      max_completion_tokens: 1000,
    });
    expect(reply.ok).toBe(true);
    if (!reply.ok) return;
    expect(reply.model).toBe('gpt-4o-mini');
    expect(reply.decision).toBe('allow');
    expect(parseUsd(reply.remainingUsd)).toBeLessThan(parseUsd('0.005'));
    await expectMetered('ex-budget-retry', '/v1/chat/completions');
    expect((fake.requests[0]?.body as { model?: string }).model).toBe('gpt-4o-mini'); // the blocked gpt-4o call never left runcap
  });

  it('budget-aware-agent.ts: with nothing cheaper that fits, it stops cleanly with the refusal', async () => {
    const client = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: API_KEY,
      maxRetries: 0,
      defaultHeaders: { 'X-Run-Id': 'ex-budget-stop', 'X-Run-Budget-USD': '0.0001' },
    });
    const reply = await callWithBudget(client, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Plan the next step.' }],
      max_completion_tokens: 1000,
    });
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.refusal.code).toBe('run_ceiling_reached');
    expect(reply.refusal.alternatives).toEqual([]);
    expect(reply.refusal.budget?.limit_usd).toBe('0.0001');
    expect(parseUsd(reply.refusal.budget?.estimate_usd)).toBeGreaterThan(parseUsd('0.0001'));
    expect(fake.requests).toHaveLength(0);
  });

  it('agents-sdk.ts: the OpenAI Agents SDK (Responses API) runs through runcap', async () => {
    const output = await runAgentThroughRuncap({ baseURL: runcap.baseURL, apiKey: API_KEY, runId: 'ex-agents-sdk' });
    expect(output.startsWith('Hello from the fake upstream')).toBe(true);
    await expectMetered('ex-agents-sdk', '/v1/responses');
  });

  it('langchain.ts: ChatOpenAI runs through runcap', async () => {
    const text = await askWithLangChain({ baseURL: runcap.baseURL, apiKey: API_KEY, runId: 'ex-langchain' });
    expect(text.startsWith('Hello from the fake upstream')).toBe(true);
    await expectMetered('ex-langchain', '/v1/chat/completions');
    expect((fake.requests[0]?.body as { max_tokens?: number }).max_tokens).toBe(200);
  });

  it('vercel-ai-sdk.ts: generateText runs through runcap and sees the budget headers', async () => {
    const reply = await askWithAiSdk({ baseURL: runcap.baseURL, apiKey: API_KEY, runId: 'ex-vercel-ai' });
    expect(reply.text.startsWith('Hello from the fake upstream')).toBe(true);
    expect(parseUsd(reply.remainingUsd)).toBeLessThan(parseUsd('5.00'));
    await expectMetered('ex-vercel-ai', '/v1/responses');
  });

  it('anthropic-sdk.ts: a message through runcap, then a 402 with its reason and the cheaper models', async () => {
    const reply = await askClaudeThroughRuncap({ baseURL: runcap.url, apiKey: API_KEY, runId: 'ex-anthropic-sdk' });
    expect(reply.text?.startsWith('Hello from the fake Claude')).toBe(true);
    expect(reply.refusal).toBeNull();
    expect(parseUsd(reply.remainingUsd ?? '')).toBeLessThan(parseUsd('5.00'));
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/messages']);
    expect(fake.requests[0]?.headers['x-run-id']).toBeUndefined();
    expect((await runView(runcap, 'ex-anthropic-sdk')).committedMicros).toBeGreaterThan(0);

    const refused = await askClaudeThroughRuncap({
      baseURL: runcap.url,
      apiKey: API_KEY,
      runId: 'ex-anthropic-sdk-tight',
      runBudgetUsd: '0.001',
    });
    expect(refused.text).toBeNull();
    expect(refused.refusal).toEqual({
      code: 'run_ceiling_reached',
      message: expect.stringMatching(/^402 The run budget is exhausted: this call could cost up to \$/),
      cheaperModels: ['claude-haiku-5-5'],
    });
    expect(refused.remainingUsd).toBe('0.001');
    expect(fake.requests).toHaveLength(1); // refused before the provider, and not retried
  });
});
