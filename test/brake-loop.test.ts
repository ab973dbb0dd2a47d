// E2E: the loop brake (docs/design.md §12, run.max_repeated_steps). The OpenAI Agents SDK drives a
// tool that always returns the same thing while the fake model keeps calling it: runcap stops the
// run with 402 run_loop_detected. Chat: the last assistant turn with its tool results, compared
// whatever the call ids; a new step starts over; a tenant without the brake is never stopped.
import { createHash } from 'node:crypto';
import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { api, type ApiResponse } from './support/budget-client.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

const MAX_REPEATS = 3;
const KEY = 'sk-loop-key';
const FREE_KEY = 'sk-loop-free';
let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      passthrough: true,
      tenants: { default: { run: { max_repeated_steps: MAX_REPEATS } }, free: {} },
      keys: [{ id: 'k_free', sha256: createHash('sha256').update(FREE_KEY).digest('hex'), tenant: 'free' }],
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
beforeEach(() => fake.clearRequests());

describe('the OpenAI Agents SDK stuck on a tool', () => {
  it('is stopped with 402 run_loop_detected once the same step repeats more than max_repeated_steps times', async () => {
    let toolRuns = 0;
    const weather = tool({
      name: 'lookup_weather',
      description: 'The weather in a city.',
      parameters: z.object({ city: z.string() }),
      execute: async () => {
        toolRuns += 1;
        return 'Sunny, 21 C';
      },
    });
    // The fake model answers every turn with the same call (fresh call ids each time, as a real one mints).
    const client = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: KEY,
      defaultHeaders: { 'X-Run-Id': 'loop-agents', 'x-fake-tool-call': 'lookup_weather' },
    });
    fake.configure({ toolArguments: '{"city":"Paris"}' });
    const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client }), tracingDisabled: true });
    const agent = new Agent({ name: 'Forecaster', instructions: 'Answer with the weather.', model: 'gpt-4o-mini' });
    const looping = agent.clone({ tools: [weather] });

    let caught: unknown;
    try {
      await runner.run(looping, 'What is the weather in Paris?', { maxTurns: 20 });
    } catch (error) {
      caught = error;
    }
    const refusal = findApiError(caught);
    expect(refusal?.status).toBe(402);
    expect(refusal?.code).toBe('run_loop_detected');
    expect(refusal?.error).toMatchObject({
      code: 'run_loop_detected',
      loop: { run_id: 'loop-agents', repeats: MAX_REPEATS + 1, max_repeated_steps: MAX_REPEATS },
    });
    // Turn 1 has no step yet; turns 2..5 are the step and its 3 repeats; turn 6 is refused.
    const sent = fake.requests.filter((request) => request.path === '/v1/responses');
    expect(sent).toHaveLength(MAX_REPEATS + 2);
    expect(toolRuns).toBe(MAX_REPEATS + 2);
    const callIds = sent.map(
      (request) =>
        JSON.stringify(request.body)
          .match(/call_fake\d+/g)
          ?.at(-1) ?? null,
    );
    expect(new Set(callIds.slice(1)).size).toBe(MAX_REPEATS + 1); // every repeat carried new call ids
    const decisionId = refusal?.headers?.get('x-budget-decision-id') ?? '';
    expect(await decisionOf(runcap, decisionId)).toMatchObject({
      decision: 'block',
      code: 'run_loop_detected',
      brake: { kind: 'loop', run_id: 'loop-agents', repeats: MAX_REPEATS + 1 },
    });
    // The refused call held nothing; the run paid for the five turns it made.
    const view = await runView(runcap, 'loop-agents');
    expect(view.reservedMicros).toBe(0);
    expect(view.committedMicros).toBeGreaterThan(0);
    const loops = await runcap.server.deps.metrics.loopBlocks.get();
    expect(loops.values.find((value) => value.labels.endpoint === 'responses')?.value).toBe(1);
  });
});

const start = [
  { role: 'system', content: 'You are an agent.' },
  { role: 'user', content: 'What is in notes.txt?' },
];
/** One agent step: the model calls read_file (new call id each time) and the tool answers. */
const step = (n: number, result: string) => [
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: `call_${n}`, type: 'function', function: { name: 'read_file', arguments: '{"path":"notes.txt"}' } },
    ],
  },
  { role: 'tool', tool_call_id: `call_${n}`, content: result },
];

function chatCall(key: string, runId: string, messages: readonly unknown[]): Promise<ApiResponse> {
  return api(runcap.url, 'POST', '/v1/chat/completions', {
    key,
    headers: { 'x-run-id': runId },
    body: { model: 'gpt-4o-mini', messages, max_tokens: 50 },
  });
}

describe('chat: repeats of the newest step', () => {
  it('counts repeats in a row, refuses the one too many with the problem body, and starts over on a new step', async () => {
    const history: unknown[] = [...start];
    const statuses: number[] = [];
    for (let n = 1; n <= MAX_REPEATS + 1; n += 1) {
      history.push(...step(n, 'file not found'));
      statuses.push((await chatCall(KEY, 'loop-chat', history)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    history.push(...step(99, 'file not found'));
    const refused = await chatCall(KEY, 'loop-chat', history);
    expect(refused.status).toBe(402);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect(refused.headers.get('x-budget-decision')).toBe('block');
    expect(refused.headers.get('x-budget-blocking-scope')).toBe('run');
    expect(refused.headers.get('x-run-id')).toBe('loop-chat');
    expect(refused.body).toMatchObject({
      type: 'https://runcap.dev/problems/run_loop_detected',
      status: 402,
      code: 'run_loop_detected',
      loop: { run_id: 'loop-chat', repeats: MAX_REPEATS + 1, max_repeated_steps: MAX_REPEATS },
      budget: { scope: 'run', run_id: 'loop-chat', limit_usd: '5.00' },
      error: { type: 'insufficient_budget', code: 'run_loop_detected' },
    });
    expect(fake.requests).toHaveLength(MAX_REPEATS + 1);
    // Refused again while the step stays the same; a different result is a new step.
    expect((await chatCall(KEY, 'loop-chat', history)).status).toBe(402);
    history.push(...step(100, 'notes: buy milk'));
    expect((await chatCall(KEY, 'loop-chat', history)).status).toBe(200);
    history.push(...step(101, 'notes: buy milk'));
    expect((await chatCall(KEY, 'loop-chat', history)).status).toBe(200);
  });

  it('first turns have no step, other runs count apart, and a tenant without the brake is never stopped', async () => {
    for (let n = 0; n < MAX_REPEATS + 3; n += 1) expect((await chatCall(KEY, 'loop-first', start)).status).toBe(200);
    const looped = [...start, ...step(1, 'same')];
    for (let n = 0; n <= MAX_REPEATS; n += 1) expect((await chatCall(KEY, 'loop-a', looped)).status).toBe(200);
    expect((await chatCall(KEY, 'loop-b', looped)).status).toBe(200);
    expect((await chatCall(KEY, 'loop-a', looped)).status).toBe(402);
    for (let n = 0; n < MAX_REPEATS + 3; n += 1)
      expect((await chatCall(FREE_KEY, 'loop-free', looped)).status).toBe(200);
  });
});

/** The OpenAI APIError behind what the Agents SDK threw (it may wrap it). */
function findApiError(error: unknown): InstanceType<typeof OpenAI.APIError> | null {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (current instanceof OpenAI.APIError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}
