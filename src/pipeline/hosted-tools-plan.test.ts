import { describe, expect, it } from 'vitest';
import type { HostedToolsPolicy } from '../config/types.js';
import { RuncapError } from '../errors.js';
import type { HostedToolUse } from '../proxy/adapter.js';
import { hostedCallCount, hostedFeesMicros, planHostedTools } from './hosted-tools-plan.js';

const policy = (overrides: Partial<HostedToolsPolicy> = {}): HostedToolsPolicy => ({
  defaultMaxCalls: 0,
  resultTokensPerCall: null,
  feesMicros: new Map([
    ['web_search', 10_000],
    ['web_search_preview', 25_000],
    ['code_interpreter', 30_000],
  ]),
  ...overrides,
});
const search = { feeKey: 'web_search', units: 1, callItem: 'web_search_call', param: 'tools[0]' };
const preview = { feeKey: 'web_search_preview', units: 1, callItem: 'web_search_call', param: 'tools[1]' };
const code4g = { feeKey: 'code_interpreter', units: 4, callItem: 'code_interpreter_call', param: 'tools[2]' };
const use = (tools: HostedToolUse['tools'], maxCalls: number | null, capField: string | null = 'max_tool_calls') => ({
  tools,
  maxCalls,
  capField,
});
const input = { inputTokens: 1_000, maxOutputTokens: 500, contextWindow: 128_000 };
const thrown = (fn: () => unknown): RuncapError => {
  try {
    fn();
  } catch (error) {
    return error as RuncapError;
  }
  throw new Error('expected a refusal');
};

describe('planHostedTools', () => {
  it('bounds the calls the request allows at the dearest fee, each re-reading up to the window', () => {
    const plan = planHostedTools({ use: use([search, preview, code4g], 3), policy: policy(), ...input });
    expect(plan).toMatchObject({
      maxCalls: 3,
      callsSource: 'request',
      maxFeeMicros: 120_000,
      feesMicros: 360_000,
      unobservedFeeMicros: 0,
      stepInputTokens: 128_000,
    });
    expect(plan.feeByCallItem).toEqual(
      new Map([
        ['web_search_call', 25_000],
        ['code_interpreter_call', 120_000],
      ]),
    );
  });

  it('uses a trusted result size when the tenant sets one (never above the window)', () => {
    const trusted = policy({ resultTokensPerCall: 2_000 });
    expect(planHostedTools({ use: use([search], 2), policy: trusted, ...input }).stepInputTokens).toBe(
      1_000 + 500 + 4_000,
    );
    const huge = policy({ resultTokensPerCall: 100_000 });
    expect(planHostedTools({ use: use([search], 2), policy: huge, ...input }).stepInputTokens).toBe(128_000);
  });

  it('applies the tenant default when the request sends no limit, and refuses without one', () => {
    expect(
      planHostedTools({ use: use([search], null), policy: policy({ defaultMaxCalls: 4 }), ...input }),
    ).toMatchObject({ maxCalls: 4, callsSource: 'tenant_default' });
    const error = thrown(() => planHostedTools({ use: use([search], null), policy: policy(), ...input }));
    expect(error).toMatchObject({ code: 'max_tool_calls_required' });
    expect(error.message).toContain('hosted_tools.default_max_calls');
  });

  it('refuses a tool without a fee, naming the key that prices it', () => {
    const unknown = {
      feeKey: 'code_interpreter_container',
      units: 1,
      callItem: 'code_interpreter_call',
      param: 'tools[0]',
    };
    const error = thrown(() => planHostedTools({ use: use([unknown], 1), policy: policy(), ...input }));
    expect(error).toMatchObject({ code: 'price_unknown', extra: { param: 'tools[0]' } });
    expect(error.message).toContain('hosted_tools.fees_usd.code_interpreter_container');
  });

  it('holds and commits calls no response shows (chat search) as a fixed count', () => {
    const chat = { feeKey: 'web_search_preview', units: 1, callItem: null, param: 'web_search_options' };
    const plan = planHostedTools({ use: use([chat], 2, null), policy: policy(), ...input });
    expect(plan).toMatchObject({ callsSource: 'fixed', unobservedFeeMicros: 50_000 });
    expect(hostedFeesMicros(plan, {})).toBe(50_000);
  });

  it('commits the fee of each call a response shows; other call items cost nothing', () => {
    const plan = planHostedTools({ use: use([search, code4g], 5), policy: policy(), ...input });
    const calls = { web_search_call: 2, code_interpreter_call: 1, computer_call: 3 };
    expect(hostedFeesMicros(plan, calls)).toBe(2 * 10_000 + 120_000);
    expect(hostedCallCount(plan, calls)).toBe(3);
  });
});
