// E2E with the openai SDK: Responses (JSON, stream, incomplete, previous_response_id chains),
// legacy completions (best_of), and embeddings (token-id input) — each metered exactly.
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream({ promptTokens: 1000, outputTokens: 20 });
  runcap = await startRuncap({ upstreamUrl: fake.url });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});
afterEach(() => {
  fake.configure({ mode: 'ok' });
  fake.clearRequests();
});

const agent = (runId: string): OpenAI =>
  new OpenAI({ baseURL: runcap.baseURL, apiKey: 'sk-endpoints', maxRetries: 0, defaultHeaders: { 'X-Run-Id': runId } });
const decisionIdOf = (response: Response): string => response.headers.get('x-budget-decision-id') ?? '';
const settled = (id: string) =>
  waitFor(
    () => decisionOf(runcap, id),
    (record) => record.state !== 'pending',
  );

describe('Responses API', () => {
  it('meters a non-streaming response from its usage', async () => {
    const { data, response } = await agent('run-resp')
      .responses.create({ model: 'gpt-4o-mini', input: 'Say hi', max_output_tokens: 64 })
      .withResponse();
    expect(data.output_text).toContain('Hello');
    const record = await settled(decisionIdOf(response));
    // 1000 input x $0.15/1M + 20 output x $0.60/1M = 150 + 12 micros.
    expect(record).toMatchObject({ usage_source: 'provider', actual_usd: '0.000162', effective_max_output_tokens: 64 });
  });

  it('meters a stream from response.completed, and a response.incomplete stream too', async () => {
    for (const mode of ['ok', 'incomplete']) {
      const { data: stream, response } = await agent(`run-resp-stream-${mode}`)
        .responses.create(
          { model: 'gpt-4o-mini', input: 'Stream please', max_output_tokens: 64, stream: true },
          { headers: { 'x-fake-mode': mode } },
        )
        .withResponse();
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types.at(-1)).toBe(mode === 'ok' ? 'response.completed' : 'response.incomplete');
      const record = await settled(decisionIdOf(response));
      expect(record).toMatchObject({ usage_source: 'provider', state: 'settled' });
      expect(Number(record.actual_usd)).toBeGreaterThan(0);
    }
  });

  it('estimates a previous_response_id chain with the earlier turns it carries', async () => {
    const client = agent('run-chain');
    const first = await client.responses
      .create({ model: 'gpt-4o-mini', input: 'Turn one', max_output_tokens: 64 })
      .withResponse();
    const second = await client.responses
      .create({ model: 'gpt-4o-mini', previous_response_id: first.data.id, input: 'Turn two', max_output_tokens: 64 })
      .withResponse();
    const third = await client.responses
      .create({
        model: 'gpt-4o-mini',
        previous_response_id: second.data.id,
        input: 'Turn three',
        max_output_tokens: 64,
      })
      .withResponse();
    const [r1, r2, r3] = await Promise.all([first, second, third].map((turn) => settled(decisionIdOf(turn.response))));
    expect(r1?.chain_input_tokens).toBeNull();
    // Each turn's chain = what the provider billed for the previous response: 1000 input + 20 output.
    expect(r2?.chain_input_tokens).toBe(1020);
    expect(r3?.chain_input_tokens).toBe(1020);
    expect(Number(r3?.input_tokens)).toBeGreaterThan(1020);
  });

  it('estimates an unknown previous_response_id conservatively: the chain may fill the context window', async () => {
    const { response } = await agent('run-chain-unknown')
      .responses.create({
        model: 'gpt-4o-mini',
        previous_response_id: 'resp_never_seen',
        input: 'Continue',
        max_output_tokens: 1000,
      })
      .withResponse();
    const record = await settled(decisionIdOf(response));
    expect(record.chain_input_tokens).toBe('unknown');
    // gpt-4o-mini: 128000 context window - 1000 output cap.
    expect(record.input_tokens).toBe(127000);
  });
});

describe('legacy completions and embeddings', () => {
  it('multiplies the output part by best_of and defaults max_tokens to 16', async () => {
    const { response } = await agent('run-completions')
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Once upon a time', n: 1, best_of: 3 })
      .withResponse();
    const record = await settled(decisionIdOf(response));
    expect(record).toMatchObject({ output_multiplier: 3, effective_max_output_tokens: 16, usage_source: 'provider' });
  });

  it('counts token-id embedding input by length and bills no output', async () => {
    const { response } = await agent('run-embeddings')
      .embeddings.create({
        model: 'text-embedding-3-small',
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      })
      .withResponse();
    const record = await settled(decisionIdOf(response));
    expect(record).toMatchObject({ input_tokens: 5, effective_max_output_tokens: 0, usage_source: 'provider' });
    // text-embedding-3-small $0.02/1M: 1000 reported prompt tokens -> 20 micros.
    expect((await runView(runcap, 'run-embeddings')).committedMicros).toBe(20);
  });
});
