import { describe, expect, it } from 'vitest';
import { RuncapError } from '../errors.js';
import { effectiveOutputCap, type OutputCapInput, type OutputCapSource } from './output-cap.js';
import type { OutputPolicy } from './types.js';

const clampPolicy: OutputPolicy = { defaultMaxTokens: 4096, maxTokens: 32_768, onMissing: 'default', onAbove: 'clamp' };
const strictPolicy: OutputPolicy = {
  defaultMaxTokens: 4096,
  maxTokens: 32_768,
  onMissing: 'reject',
  onAbove: 'reject',
};

function input(overrides: Partial<OutputCapInput>): OutputCapInput {
  return {
    clientMaxOutputTokens: null,
    policy: clampPolicy,
    modelMaxOutputTokens: 16_384,
    contextWindow: 128_000,
    inputTokens: 1_000,
    ...overrides,
  };
}

describe('effectiveOutputCap', () => {
  it.each<[string, Partial<OutputCapInput>, number, OutputCapSource]>([
    ['client cap within every limit', { clientMaxOutputTokens: 500 }, 500, 'client'],
    ['missing cap -> tenant default', {}, 4096, 'tenant_default'],
    [
      'above the tenant max -> clamped',
      { clientMaxOutputTokens: 50_000, modelMaxOutputTokens: 100_000 },
      32_768,
      'tenant_max',
    ],
    [
      'equal to the tenant max is allowed',
      { clientMaxOutputTokens: 32_768, modelMaxOutputTokens: 100_000 },
      32_768,
      'client',
    ],
    ['above the model max output', { clientMaxOutputTokens: 20_000 }, 16_384, 'model_max'],
    ['tenant default above the model max', { modelMaxOutputTokens: 2048 }, 2048, 'model_max'],
    ['clamped to tenant max, then to model max', { clientMaxOutputTokens: 90_000 }, 16_384, 'model_max'],
    [
      'context window leaves less room',
      { clientMaxOutputTokens: 16_000, inputTokens: 120_000 },
      8_000,
      'context_window',
    ],
    ['context window leaves exactly one token', { inputTokens: 127_999 }, 1, 'context_window'],
    ['unknown model max (0) is no limit', { clientMaxOutputTokens: 20_000, modelMaxOutputTokens: 0 }, 20_000, 'client'],
    [
      'unknown context window (0) is no limit',
      { clientMaxOutputTokens: 500, contextWindow: 0, inputTokens: 999_999 },
      500,
      'client',
    ],
    [
      'tenant default above tenant max is held to the max',
      { policy: { ...clampPolicy, defaultMaxTokens: 64_000 }, modelMaxOutputTokens: 100_000 },
      32_768,
      'tenant_max',
    ],
  ])('%s', (_name, overrides, effective, source) => {
    const result = effectiveOutputCap(input(overrides));
    expect(result).toEqual({ effective, source, clientRequested: overrides.clientMaxOutputTokens ?? null });
  });

  it.each<[string, Partial<OutputCapInput>, string, string]>([
    [
      'missing cap when the tenant requires one',
      { policy: strictPolicy },
      'max_output_tokens_required',
      'max_completion_tokens',
    ],
    [
      'missing cap names the endpoint field',
      { policy: strictPolicy, capParam: 'max_output_tokens' },
      'max_output_tokens_required',
      'max_output_tokens',
    ],
    [
      'above the tenant max when the tenant rejects',
      { policy: strictPolicy, clientMaxOutputTokens: 40_000 },
      'max_output_tokens_above_policy',
      'max_completion_tokens',
    ],
    [
      'input fills the context window',
      { clientMaxOutputTokens: 100, inputTokens: 128_000 },
      'invalid_request',
      'messages',
    ],
    ['input beyond the context window', { inputTokens: 200_000, inputParam: 'input' }, 'invalid_request', 'input'],
    ['a zero client cap', { clientMaxOutputTokens: 0 }, 'invalid_request', 'max_completion_tokens'],
    ['a fractional client cap', { clientMaxOutputTokens: 1.5 }, 'invalid_request', 'max_completion_tokens'],
  ])('throws on %s', (_name, overrides, code, param) => {
    let caught: unknown;
    try {
      effectiveOutputCap(input(overrides));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RuncapError);
    const error = caught as RuncapError;
    expect(error.code).toBe(code);
    expect(error.status).toBe(400);
    expect(error.extra.param).toBe(param);
  });

  it('a rejecting tenant still accepts a cap within its maximum', () => {
    expect(effectiveOutputCap(input({ policy: strictPolicy, clientMaxOutputTokens: 1000 }))).toEqual({
      effective: 1000,
      clientRequested: 1000,
      source: 'client',
    });
  });

  it('says why in the context-window error', () => {
    expect(() => effectiveOutputCap(input({ inputTokens: 130_000 }))).toThrow(
      /130000 tokens.*context window of 128000/,
    );
  });
});
