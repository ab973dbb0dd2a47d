// E2E (issue 11 item 5): a non-streaming answer arrives only when the whole generation is
// done, so it has its own timeout (upstreams.<name>.response_timeout, default 15m), separate
// from the streams' time to first headers (headers_timeout). A reasoning model's slow answer
// must reach the client and be committed at its usage, not cut at the stream timeout with a
// 502 and charged in full (which the client's retry then pays a second time).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';
import { waitFor } from './support/wait.js';

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(async () => {
  await fake.close();
});

const hello = [{ role: 'user' as const, content: 'Think hard, then say hello' }];

describe('a non-streaming call that takes longer than the streams header timeout', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    // Streams must show their first bytes within 1 s; non-streaming answers keep the default (15 min).
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: { upstreams: { openai: { base_url: `${fake.url}/v1`, headers_timeout: '1s' } } },
    });
  });
  afterAll(() => runcap.stop());

  it('reaches the client and is committed at its usage (the openai SDK, chat and Responses)', async () => {
    const client = new OpenAI({
      baseURL: runcap.baseURL,
      apiKey: 'sk-slow-reasoner',
      maxRetries: 0,
      defaultHeaders: { 'X-Run-Id': 'run-slow', 'x-fake-latency-ms': '2500' },
    });
    const chat = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: hello, max_tokens: 1000 })
      .withResponse();
    expect(chat.data.choices[0]?.message.content).toContain('Hello');
    const response = await client.responses
      .create({ model: 'gpt-4o-mini', input: 'Think hard, then say hello', max_output_tokens: 1000 })
      .withResponse();
    expect(response.data.status).toBe('completed');
    expect(fake.requests.filter((r) => r.path.startsWith('/v1/'))).toHaveLength(2);

    for (const r of [chat.response, response.response]) {
      const record = await decisionOf(runcap, r.headers.get('x-budget-decision-id') ?? '');
      expect(record.state).toBe('settled');
      expect(record.usage_source).toBe('provider');
    }
    // 2 x (10 prompt x $0.15/1M + 20 output x $0.60/1M = 13.5, rounded up to 14): the usage,
    // nowhere near the two full holds (1000 output tokens each).
    const view = await runView(runcap, 'run-slow');
    expect(view.committedMicros).toBe(28);
    expect(view.reservedMicros).toBe(0);
  });

  it('still cuts a stream whose first bytes do not arrive within headers_timeout', async () => {
    const res = await fetch(`${runcap.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-slow-reasoner',
        'content-type': 'application/json',
        'x-run-id': 'run-slow-stream',
        'x-fake-latency-ms': '2500',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello, max_tokens: 100, stream: true }),
    });
    expect(res.status).toBe(502);
    expect((await res.json()) as { code: string }).toMatchObject({ code: 'upstream_unavailable' });
  });
});

describe('upstreams.<name>.response_timeout', () => {
  it('bounds a non-streaming call, which is then charged in full (the provider may have billed it)', async () => {
    const runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: { upstreams: { openai: { base_url: `${fake.url}/v1`, response_timeout: '1s' } } },
    });
    try {
      const res = await fetch(`${runcap.baseURL}/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk-slow-reasoner',
          'content-type': 'application/json',
          'x-run-id': 'run-cut',
          'x-fake-latency-ms': '2500',
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello, max_tokens: 100 }),
      });
      expect(res.status).toBe(502);
      const record = await waitFor(
        () => decisionOf(runcap, res.headers.get('x-budget-decision-id') ?? ''),
        (r) => r.state === 'settled',
      );
      expect(record.estimate_reason).toBe('upstream_error_UND_ERR_HEADERS_TIMEOUT');
      const view = await runView(runcap, 'run-cut');
      expect(view.committedMicros).toBeGreaterThan(28);
      expect(view.reservedMicros).toBe(0);
    } finally {
      await runcap.stop();
    }
  });
});
