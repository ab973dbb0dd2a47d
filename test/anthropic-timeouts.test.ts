// E2E: the Messages API keeps the upstream timeouts of docs/security.md: a non-streaming message
// arrives only when the whole generation is done, so it waits for `response_timeout`, not the
// streams' `headers_timeout`; past `response_timeout` the client gets 502 in Anthropic's error
// shape and the hold is charged in full (the provider may have generated it). Real SDK, real sockets.
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

let fake: FakeUpstream;
let runcap: TestRuncap;

beforeAll(async () => {
  fake = await startFakeUpstream();
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: {
      // Streams must show their headers within 1 s; a whole non-streaming answer may take 4 s.
      upstreams: { anthropic: { base_url: fake.url, headers_timeout: '1s', response_timeout: '4s' } },
    },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

function client(runId: string, latencyMs: number): Anthropic {
  return new Anthropic({
    baseURL: runcap.url,
    apiKey: null,
    maxRetries: 0,
    defaultHeaders: { 'X-Api-Key': 'sk-ant-slow', 'X-Run-Id': runId, 'x-fake-latency-ms': String(latencyMs) },
  });
}

const ask = { model: 'claude-sonnet-4-5', max_tokens: 1000, messages: [{ role: 'user' as const, content: 'Think' }] };

describe('Messages and the upstream timeouts', () => {
  it('waits past headers_timeout for a slow non-streaming answer and charges its usage', async () => {
    const { data, response } = await client('anth-slow', 2000).messages.create(ask).withResponse();
    expect(data.usage.output_tokens).toBe(20);
    const record = await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ state: 'settled', usage_source: 'provider' });
    expect((await runView(runcap, 'anth-slow')).committedMicros).toBe(330);
  });

  it('gives up at response_timeout with a 502 in Anthropic shape and charges the full hold', async () => {
    const error = await client('anth-stalled', 6000)
      .messages.create(ask)
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error' },
      code: 'upstream_unavailable',
    });
    const record = await decisionOf(runcap, (error as APIError).headers?.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({ state: 'settled', usage_source: 'estimated' });
    const view = await runView(runcap, 'anth-stalled');
    expect(view.reservedMicros).toBe(0);
    expect(view.committedMicros).toBeGreaterThan(1000 * 15);
  });
});
