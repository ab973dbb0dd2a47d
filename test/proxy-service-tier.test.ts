// E2E (issue 11: "service_tier: priority held and charged at standard rates"): a request's
// OpenAI service_tier is held at that tier's price and committed at the tier the provider
// reports it served; an unpriced tier is refused 400 naming the field. Real sockets, the
// openai SDK, the fake upstream (which answers at the requested tier, as OpenAI does).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd } from '../src/money/micros.js';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import { decisionOf, runView } from './support/ledger-views.js';
import { startRuncap, type TestRuncap } from './support/runcap.js';

/** gpt-5 at its list rates: priority doubles every rate, flex halves it. */
const priceOverrides = {
  'gpt-5': {
    provider: 'openai',
    input: '1.25',
    cached_input: '0.125',
    output: '10',
    context_window: 400000,
    max_output_tokens: 128000,
    capabilities: { tools: true, json_schema: true, vision: true },
    service_tiers: {
      priority: { input: '2.50', cached_input: '0.25', output: '20' },
      flex: { input: '0.625', cached_input: '0.0625', output: '5' },
    },
  },
};
const RATES = { default: [1.25, 10], priority: [2.5, 20], flex: [0.625, 5] } as const;
const PROMPT_TOKENS = 1000;
const OUTPUT_TOKENS = 20;
const CAP = 100;

/** Micro-USD of `input` + `output` tokens at a tier's per-1M rates (exact for these small integers). */
const micros = (tier: keyof typeof RATES, input: number, output: number): number =>
  Math.ceil(input * RATES[tier][0] + output * RATES[tier][1]);

let fake: FakeUpstream;
let runcap: TestRuncap;
beforeAll(async () => {
  fake = await startFakeUpstream({ promptTokens: PROMPT_TOKENS, outputTokens: OUTPUT_TOKENS });
  runcap = await startRuncap({
    upstreamUrl: fake.url,
    config: { tenants: { default: { price_overrides: priceOverrides } } },
  });
});
afterAll(async () => {
  await runcap.stop();
  await fake.close();
});

const client = (runId: string): OpenAI =>
  new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: 'sk-tier',
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, 'X-Run-Budget-USD': '1.00' },
  });
const messages = [{ role: 'user' as const, content: 'Summarise the design document in three bullet points.' }];

/** The decision record of a call and what the run was charged. */
async function settled(headers: Headers, runId: string) {
  const record = await decisionOf(runcap, headers.get('x-budget-decision-id') ?? '');
  const view = await runView(runcap, runId);
  return { record, committedMicros: view.committedMicros, reservedMicros: view.reservedMicros };
}

describe('service_tier on chat completions', () => {
  it('priority is held and charged at priority rates (not the standard ones)', async () => {
    const { data, response } = await client('tier-priority')
      .chat.completions.create({ model: 'gpt-5', messages, max_completion_tokens: CAP, service_tier: 'priority' })
      .withResponse();
    expect(data.service_tier).toBe('priority');
    const { record, committedMicros, reservedMicros } = await settled(response.headers, 'tier-priority');
    const input = record['input_tokens'] as number;
    expect(record['service_tier']).toBe('priority');
    expect(record['estimate_usd']).toBe(formatUsd(micros('priority', input, CAP)));
    expect(record['actual_usd']).toBe(formatUsd(micros('priority', PROMPT_TOKENS, OUTPUT_TOKENS)));
    expect(committedMicros).toBe(2_900);
    expect(committedMicros).toBe(2 * micros('default', PROMPT_TOKENS, OUTPUT_TOKENS));
    expect(reservedMicros).toBe(0);
    expect((record['usage'] as Record<string, unknown>)['service_tier']).toBe('priority');
    expect((fake.requests.at(-1)?.body as Record<string, unknown>)['service_tier']).toBe('priority');
  });

  it('a streamed priority call is charged at the tier its chunks report', async () => {
    const { data: stream, response } = await client('tier-priority-stream')
      .chat.completions.create({
        model: 'gpt-5',
        messages,
        max_completion_tokens: CAP,
        service_tier: 'priority',
        stream: true,
      })
      .withResponse();
    for await (const chunk of stream) void chunk;
    const { record, committedMicros } = await settled(response.headers, 'tier-priority-stream');
    expect(record['estimate_usd']).toBe(formatUsd(micros('priority', record['input_tokens'] as number, CAP)));
    expect(committedMicros).toBe(micros('priority', PROMPT_TOKENS, OUTPUT_TOKENS));
  });

  it('no tier and "default" are held and charged at the default rates; flex at flex rates', async () => {
    for (const [runId, tier, expected] of [
      ['tier-none', undefined, 'default'],
      ['tier-default', 'default', 'default'],
      ['tier-flex', 'flex', 'flex'],
    ] as const) {
      const { response } = await client(runId)
        .chat.completions.create({
          model: 'gpt-5',
          messages,
          max_completion_tokens: CAP,
          ...(tier === undefined ? {} : { service_tier: tier }),
        })
        .withResponse();
      const { record, committedMicros } = await settled(response.headers, runId);
      expect(record['estimate_usd']).toBe(formatUsd(micros(expected, record['input_tokens'] as number, CAP)));
      expect(committedMicros).toBe(micros(expected, PROMPT_TOKENS, OUTPUT_TOKENS));
    }
  });

  it('"auto" is held at the dearest tier and charged at the tier the provider served', async () => {
    const { response } = await client('tier-auto')
      .chat.completions.create({ model: 'gpt-5', messages, max_completion_tokens: CAP, service_tier: 'auto' })
      .withResponse();
    const { record, committedMicros } = await settled(response.headers, 'tier-auto');
    expect(record['service_tier']).toBe('auto');
    expect(record['estimate_usd']).toBe(formatUsd(micros('priority', record['input_tokens'] as number, CAP)));
    // the fake account serves "auto" at the default tier
    expect(committedMicros).toBe(micros('default', PROMPT_TOKENS, OUTPUT_TOKENS));
  });

  it('an account that serves priority by default is charged priority for a call that named no tier', async () => {
    fake.configure({ autoTier: 'priority' });
    try {
      const { response } = await client('tier-served-priority')
        .chat.completions.create({ model: 'gpt-5', messages, max_completion_tokens: CAP })
        .withResponse();
      const { committedMicros } = await settled(response.headers, 'tier-served-priority');
      expect(committedMicros).toBe(micros('priority', PROMPT_TOKENS, OUTPUT_TOKENS));
    } finally {
      fake.configure({ autoTier: 'default' });
    }
  });

  it('refuses a tier the table does not price with 400 invalid_request naming service_tier, before forwarding', async () => {
    const before = fake.requests.length;
    for (const [model, tier] of [
      ['gpt-5', 'scale'],
      ['gpt-4o-mini', 'priority'],
    ] as const) {
      const error = await client('tier-unknown')
        .chat.completions.create({ model, messages, max_completion_tokens: CAP, service_tier: tier as 'priority' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(400);
      expect(apiError.code).toBe('invalid_request');
      expect(apiError.param).toBe('service_tier');
      expect(apiError.message).toContain(`service_tier "${tier}" has no price for model "${model}"`);
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe('service_tier on the Responses API', () => {
  it('priority is held and charged at priority rates, streamed or not', async () => {
    const { response } = await client('resp-priority')
      .responses.create({ model: 'gpt-5', input: 'Summarise it.', max_output_tokens: CAP, service_tier: 'priority' })
      .withResponse();
    const first = await settled(response.headers, 'resp-priority');
    expect(first.record['estimate_usd']).toBe(
      formatUsd(micros('priority', first.record['input_tokens'] as number, CAP)),
    );
    expect(first.committedMicros).toBe(micros('priority', PROMPT_TOKENS, OUTPUT_TOKENS));

    const { data: stream, response: streamed } = await client('resp-priority-stream')
      .responses.create({
        model: 'gpt-5',
        input: 'Summarise it.',
        max_output_tokens: CAP,
        service_tier: 'priority',
        stream: true,
      })
      .withResponse();
    for await (const event of stream) void event;
    const second = await settled(streamed.headers, 'resp-priority-stream');
    expect(second.committedMicros).toBe(micros('priority', PROMPT_TOKENS, OUTPUT_TOKENS));
  });
});
