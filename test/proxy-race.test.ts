// E2E: 50 parallel streaming calls race one run ceiling; exactly the number that fit go through.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, parseUsd } from '../src/money/micros.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  // Every call stays in flight long enough that all 50 reserve before any settles.
  fake = await startFakeUpstream({ latencyMs: 3_000 });
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const body = {
  model: 'gpt-4o',
  messages: [
    { role: 'system' as const, content: 'You are a careful agent.' },
    { role: 'user' as const, content: 'Plan the next step.' },
  ],
  max_tokens: 1000,
  stream: true as const,
};

describe('parallel calls at one ceiling', () => {
  it('admits exactly floor(ceiling / worst case) of 50 parallel streams and never crosses the ceiling', async () => {
    // Learn the worst-case hold of this exact body from one probe call.
    const probe = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: 'sk-race',
      maxRetries: 0,
      defaultHeaders: { 'X-Run-Id': 'run-probe' },
    });
    const { response } = await probe.chat.completions
      .create({ ...body, stream: false }, { headers: { 'x-fake-latency-ms': '0' } })
      .withResponse();
    const holdMicros = parseUsd(
      (await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '')).estimate_usd,
    );
    const fit = 7;
    const ceilingMicros = holdMicros * fit + Math.floor(holdMicros / 2);

    const agent = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: 'sk-race',
      maxRetries: 3, // a block must not be retried: the problem says x-should-retry: false
      defaultHeaders: { 'X-Run-Id': 'run-race', 'X-Run-Budget-USD': formatUsd(ceilingMicros) },
    });
    // Create the run first so every racer sees the same ceiling.
    await agent.chat.completions.create(
      { ...body, max_tokens: 1, stream: false },
      { headers: { 'x-fake-latency-ms': '0' } },
    );
    const afterSetup = await runView(runcap, 'run-race');

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, async () => {
        try {
          const stream = await agent.chat.completions.create(body);
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
          return text.length > 0 ? 'served' : 'empty';
        } catch (error) {
          return error instanceof OpenAI.APIError ? `${error.status}:${String(error.code)}` : String(error);
        }
      }),
    );
    const served = outcomes.filter((o) => o === 'served').length;
    const blocked = outcomes.filter((o) => o === '402:run_ceiling_reached').length;
    const expectedFit = Math.floor((ceilingMicros - afterSetup.committedMicros) / holdMicros);
    expect(served).toBe(expectedFit);
    expect(blocked).toBe(50 - expectedFit);

    const view = await runView(runcap, 'run-race');
    expect(view.reservedMicros).toBe(0);
    expect(view.committedMicros).toBeLessThanOrEqual(ceilingMicros);
    // Only the admitted streams reached the upstream, and the SDK did not retry the blocks.
    expect(fake.requests.filter((r) => (r.body as { stream?: boolean }).stream === true)).toHaveLength(expectedFit);
    const decisions = await runcap.server.deps.metrics.decisions.get();
    const blocks = decisions.values.filter((v) => v.labels.decision === 'block').reduce((sum, v) => sum + v.value, 0);
    expect(blocks).toBe(50 - expectedFit);
  });
});
