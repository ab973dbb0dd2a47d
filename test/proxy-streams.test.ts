// E2E: streams that do not end well — client aborts, upstream resets, missing usage,
// stalls — each settle exactly once, never below the input cost, and never kill the process.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream({ chunks: 20, outputTokens: 200, slowChunkDelayMs: 50 });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      upstreams: {
        openai: { base_url: `${fake.url}/v1`, api_key_env: 'RUNCAP_TEST_PROVIDER_KEY', body_timeout: '1s' },
      },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const body = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'Tell me a long story.' }],
  max_tokens: 500,
  stream: true as const,
};
// gpt-4o-mini input cost of the 10 prompt tokens the fake reports is 1.5 micros; our estimate counts the real prompt.
const agent = (runId: string): OpenAI =>
  new OpenAI({ baseURL: runcap.baseURL, apiKey: 'sk-streams', maxRetries: 0, defaultHeaders: { 'X-Run-Id': runId } });

async function settledRecord(decisionId: string): Promise<Record<string, unknown>> {
  return waitFor(
    () => decisionOf(runcap, decisionId),
    (record) => record.state !== 'pending',
  );
}

describe('streams that end badly', () => {
  it('a client abort mid-stream aborts the upstream and commits an estimate of what was streamed, once', async () => {
    const controller = new AbortController();
    const { data: stream, response } = await agent('run-abort')
      .chat.completions.create(body, { headers: { 'x-fake-mode': 'slow' }, signal: controller.signal })
      .withResponse();
    let seen = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) seen++;
        if (seen === 3) controller.abort();
      }
    } catch {
      // the SDK may end quietly or throw on abort; both are fine
    }
    const record = await settledRecord(response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ state: 'settled', usage_source: 'estimated', estimate_reason: 'client_abort' });
    const usage = record.usage as { input_tokens: number; output_tokens: number };
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeLessThan(200);
    const view = await runView(runcap, 'run-abort');
    expect(view.reservedMicros).toBe(0);
    expect(view.committedMicros).toBeGreaterThan(0);
    // The upstream saw the client go away.
    await waitFor(
      () => fake.requests.at(-1)?.outcome,
      (outcome) => outcome === 'client_closed',
    );
  });

  it('an upstream reset mid-stream surfaces as an error and is committed from an estimate', async () => {
    const { data: stream, response } = await agent('run-reset')
      .chat.completions.create(body, { headers: { 'x-fake-mode': 'reset' } })
      .withResponse();
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(text.length).toBeGreaterThan(0);
    const record = await settledRecord(response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'cut' });
    expect((await runView(runcap, 'run-reset')).reservedMicros).toBe(0);
  });

  it('a stream without usage is committed from an estimate, never below the input cost', async () => {
    const { data: stream, response } = await agent('run-no-usage')
      .chat.completions.create(body, { headers: { 'x-fake-mode': 'no_usage' } })
      .withResponse();
    for await (const _chunk of stream) void _chunk;
    const record = await settledRecord(response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'stream_without_usage' });
    const usage = record.usage as { input_tokens: number; output_tokens: number };
    expect(usage.input_tokens).toBe(record.input_tokens);
    expect(usage.output_tokens).toBeGreaterThanOrEqual(150);
  });

  it('a stalled upstream hits the body timeout and settles', async () => {
    const { data: stream, response } = await agent('run-stall')
      .chat.completions.create(body, { headers: { 'x-fake-mode': 'stall' } })
      .withResponse();
    const error = await (async () => {
      for await (const _chunk of stream) void _chunk;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const record = await settledRecord(response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ usage_source: 'estimated', estimate_reason: 'cut' });
  });

  it('300 streams aborted mid-flight leave the process alive and every hold settled', async () => {
    const runId = 'run-300-aborts';
    const raced = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const controller = new AbortController();
        const response = await fetch(`${runcap.baseURL}/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: 'Bearer sk-streams',
            'content-type': 'application/json',
            'x-run-id': runId,
            'x-fake-mode': 'slow',
          },
          body: JSON.stringify({ ...body, max_tokens: 50 }),
          signal: controller.signal,
        });
        const reader = response.body?.getReader();
        await reader?.read();
        controller.abort();
        return response.status;
      }),
    );
    expect(raced.every((status) => status === 200)).toBe(true);
    await waitFor(
      () => runView(runcap, runId),
      (view) => view.reservedMicros === 0,
    );
    await waitFor(
      () => fake.inFlight(),
      (n) => n === 0,
    );
    // Still serving.
    const after = await agent('run-after-aborts').chat.completions.create({ ...body, stream: false, max_tokens: 5 });
    expect(after.choices[0]?.message.content).toBeTruthy();
    expect(runcap.server.deps.metrics.liveReservations.get).toBeDefined();
    const live = (await runcap.server.deps.metrics.liveReservations.get()).values[0]?.value;
    expect(live).toBe(0);
  });
});
