// E2E: blocks carry capability-valid alternatives; `auto` downgrades; opt-in budget
// clamping; per-scope modes. Each tenant policy gets its own runcap.
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

/** A cheap model without tools and one with a small context, both in gpt-4o's chain. */
const priceOverrides = {
  'cheap-no-tools': {
    provider: 'openai',
    input: '0.01',
    output: '0.01',
    context_window: 128000,
    max_output_tokens: 4096,
    capabilities: { tools: false, json_schema: true, vision: true },
  },
  'cheap-32k': {
    provider: 'openai',
    input: '0.01',
    output: '0.01',
    context_window: 32000,
    max_output_tokens: 4096,
    capabilities: { tools: true, json_schema: true, vision: true },
  },
};
const tenant = (extra: Record<string, unknown>) => ({
  tenants: {
    default: {
      price_overrides: priceOverrides,
      downgrade_chains: { 'gpt-4o': ['cheap-no-tools', 'cheap-32k', 'gpt-4o-mini'] },
      ...extra,
    },
  },
});
const agent = (runcap: TestRuncap, runId: string, budget: string): OpenAI =>
  new OpenAI({
    baseURL: runcap.baseURL,
    apiKey: 'sk-downgrade',
    maxRetries: 0,
    defaultHeaders: { 'X-Run-Id': runId, 'X-Run-Budget-USD': budget },
  });
const tool = {
  type: 'function' as const,
  function: {
    name: 'search',
    description: 'Search the web',
    parameters: { type: 'object', properties: { q: { type: 'string' } } },
  },
};

async function blocked(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an API error, got ${String(error)}`);
  return error;
}
const alternativesOf = (error: InstanceType<typeof OpenAI.APIError>) =>
  (error.error as { alternatives: { model: string; fits_budget: boolean; estimate_usd: string }[] }).alternatives;

describe('downgrade: suggest (the default)', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({ upstreamUrl: fake.url, config: tenant({}) });
  });
  afterAll(() => runcap.stop());

  it('a 402 lists only models that fit and can do what the request needs (tools)', async () => {
    // gpt-4o worst case with 4000 output tokens is ~$0.04; $0.01 fits the cheap models only.
    const error = await blocked(
      agent(runcap, 'run-tools', '0.01').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Find it' }],
        tools: [tool],
        max_tokens: 4000,
      }),
    );
    expect(error.status).toBe(402);
    expect(error.code).toBe('run_ceiling_reached');
    expect(error.headers?.get('x-should-retry')).toBe('false');
    const body = error.error as { budget: Record<string, unknown>; type: string; title: string };
    expect(body.budget).toMatchObject({
      scope: 'run',
      run_id: 'run-tools',
      limit_usd: '0.01',
      effective_max_output_tokens: 4000,
      client_requested_max_output_tokens: 4000,
      price_table_version: '2026-11-30',
    });
    const models = alternativesOf(error).map((a) => a.model);
    expect(models).not.toContain('cheap-no-tools');
    expect(models).toEqual(['cheap-32k', 'gpt-4o-mini']);
    expect(alternativesOf(error).every((a) => a.fits_budget)).toBe(true);
    expect(error.message).toContain('cheap-32k');
  });

  it('a ~100K-token context never gets a 32K-context model', async () => {
    const long = 'lorem ipsum '.repeat(50_000);
    const error = await blocked(
      agent(runcap, 'run-long', '0.05').chat.completions.create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: long }],
        max_tokens: 1000,
      }),
    );
    expect(error.status).toBe(402);
    const models = alternativesOf(error).map((a) => a.model);
    expect(models).not.toContain('cheap-32k');
    expect(models).toContain('cheap-no-tools');
  });

  it('budget clamping is off by default: a call whose worst case does not fit is blocked', async () => {
    const error = await blocked(
      agent(runcap, 'run-noclamp', '0.005').chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 16000,
      }),
    );
    expect(error.status).toBe(402);
  });
});

describe('downgrade: auto', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: tenant({ downgrade: 'auto', downgrade_chains: { 'gpt-4o': ['gpt-4o-mini'] } }),
    });
  });
  afterAll(() => runcap.stop());

  it('serves the call on the first cheaper model that fits and charges its price', async () => {
    fake.clearRequests();
    const { data, response } = await agent(runcap, 'run-auto', '0.01')
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4000 })
      .withResponse();
    expect(response.headers.get('x-budget-decision')).toBe('downgrade');
    expect(response.headers.get('x-budget-requested-model')).toBe('gpt-4o');
    expect(response.headers.get('x-budget-selected-model')).toBe('gpt-4o-mini');
    expect(fake.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
    expect(data.model).toBe('gpt-4o-mini'); // the provider's body, unchanged
    // 10 input x $0.15 + 20 output x $0.60 per 1M = 13.5 -> 14 micros (gpt-4o would be 225).
    expect((await runView(runcap, 'run-auto')).committedMicros).toBe(14);
    const record = await waitFor(
      () => decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? ''),
      (r) => r.state === 'settled',
    );
    expect(record).toMatchObject({ decision: 'downgrade', requested_model: 'gpt-4o', selected_model: 'gpt-4o-mini' });
  });
});

describe('opt-in budget clamping', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({ upstreamUrl: fake.url, config: tenant({ budget_clamp: true, downgrade: 'off' }) });
  });
  afterAll(() => runcap.stop());

  it('forwards a smaller cap that fits, says so, and records both caps', async () => {
    fake.clearRequests();
    // gpt-4o-mini: 16000 output tokens x $0.60/1M = $0.0096 does not fit $0.005; ~8000 do.
    const { response } = await agent(runcap, 'run-clamp', '0.005')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16000 })
      .withResponse();
    expect(response.headers.get('x-budget-output-clamped')).toBe('true');
    const forwardedCap = (fake.requests.at(-1)?.body as { max_tokens: number }).max_tokens;
    expect(forwardedCap).toBeGreaterThan(7000);
    expect(forwardedCap).toBeLessThan(8400);
    const record = await decisionOf(runcap, response.headers.get('x-budget-decision-id') ?? '');
    expect(record).toMatchObject({
      output_clamped: true,
      client_requested_max_output_tokens: 16000,
      policy_max_output_tokens: 16000,
      effective_max_output_tokens: forwardedCap,
    });
  });
});

describe('modes per scope', () => {
  let runcap: TestRuncap;
  beforeAll(async () => {
    runcap = await startRuncap({
      upstreamUrl: fake.url,
      config: tenant({ limits: { key: { limit_usd: '0.000100', window: '1d', mode: 'advisory_estimate' } } }),
    });
  });
  afterAll(() => runcap.stop());

  it('an advisory key scope warns while the hard run scope holds', async () => {
    const { response } = await agent(runcap, 'run-modes', '1.00')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 })
      .withResponse();
    expect(response.headers.get('x-budget-decision')).toBe('advisory_warn');
    expect(response.headers.get('x-budget-enforcement-mode')).toBe('advisory_estimate');
    // The run still carries nothing live after settling, and the key scope holds nothing.
    expect((await runView(runcap, 'run-modes')).reservedMicros).toBe(0);
  });

  it('the hard run scope still blocks', async () => {
    const error = await blocked(
      agent(runcap, 'run-modes-2', '0.0001').chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 1000,
      }),
    );
    expect(error.status).toBe(402);
    expect(error.headers?.get('x-budget-enforcement-mode')).toBe('hard_gate');
    expect(error.headers?.get('x-budget-blocking-scope')).toBe('run');
  });
});
