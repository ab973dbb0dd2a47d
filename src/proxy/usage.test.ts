import { describe, expect, it } from 'vitest';
import { usageFromAnthropic, usageFromChat, usageFromEmbeddings, usageFromResponses } from './usage.js';

describe('usageFromChat', () => {
  it('maps prompt/completion tokens and their details', () => {
    expect(
      usageFromChat({
        prompt_tokens: 1200,
        completion_tokens: 300,
        total_tokens: 1500,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 256, audio_tokens: 0 },
      }),
    ).toEqual({
      inputTokens: 1200,
      cachedInputTokens: 1024,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 300,
      reasoningTokens: 256,
    });
  });

  it('treats missing or null details as zero', () => {
    expect(usageFromChat({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: null })).toEqual({
      inputTokens: 5,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 2,
      reasoningTokens: 0,
    });
  });

  it.each([
    ['null', null],
    ['a string', 'usage'],
    ['missing completion_tokens', { prompt_tokens: 5 }],
    ['negative', { prompt_tokens: -1, completion_tokens: 2 }],
    ['fractional', { prompt_tokens: 1.5, completion_tokens: 2 }],
    ['a string count', { prompt_tokens: '5', completion_tokens: 2 }],
    ['NaN', { prompt_tokens: Number.NaN, completion_tokens: 2 }],
    ['bad cached detail', { prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: -3 } }],
    ['cached above input', { prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 6 } }],
    [
      'reasoning above output',
      { prompt_tokens: 5, completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 3 } },
    ],
    ['details not an object', { prompt_tokens: 5, completion_tokens: 2, completion_tokens_details: 7 }],
  ])('returns null for %s', (_name, usage) => {
    expect(usageFromChat(usage)).toBeNull();
  });
});

describe('usageFromResponses', () => {
  it('maps input/output tokens and their details', () => {
    expect(
      usageFromResponses({
        input_tokens: 900,
        input_tokens_details: { cached_tokens: 512 },
        output_tokens: 120,
        output_tokens_details: { reasoning_tokens: 64 },
        total_tokens: 1020,
      }),
    ).toEqual({
      inputTokens: 900,
      cachedInputTokens: 512,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 120,
      reasoningTokens: 64,
    });
  });

  it('returns null for chat-shaped or broken usage', () => {
    expect(usageFromResponses({ prompt_tokens: 1, completion_tokens: 1 })).toBeNull();
    expect(usageFromResponses({ input_tokens: 1, output_tokens: -1 })).toBeNull();
    expect(usageFromResponses(undefined)).toBeNull();
  });
});

describe('usageFromEmbeddings', () => {
  it('maps prompt_tokens to input with no output', () => {
    expect(usageFromEmbeddings({ prompt_tokens: 8, total_tokens: 8 })).toEqual({
      inputTokens: 8,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('falls back to total_tokens and rejects garbage', () => {
    expect(usageFromEmbeddings({ total_tokens: 4 })?.inputTokens).toBe(4);
    expect(usageFromEmbeddings({ prompt_tokens: 'x', total_tokens: 4 })).toBeNull();
    expect(usageFromEmbeddings({})).toBeNull();
  });
});

describe('usageFromAnthropic', () => {
  it('sums the uncached input, reads and both write classes into the input, each class apart', () => {
    expect(
      usageFromAnthropic({
        input_tokens: 10,
        cache_creation_input_tokens: 300,
        cache_read_input_tokens: 2000,
        cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
        output_tokens: 50,
        service_tier: 'standard',
      }),
    ).toEqual({
      inputTokens: 2310,
      cachedInputTokens: 2000,
      cacheWriteTokens: 100,
      cacheWrite1hTokens: 200,
      outputTokens: 50,
      reasoningTokens: 0,
    });
  });

  it('counts cache creation without the split as 5-minute writes, and a short split leaves the rest there', () => {
    expect(usageFromAnthropic({ input_tokens: 1, cache_creation_input_tokens: 40, output_tokens: 2 })).toMatchObject({
      inputTokens: 41,
      cacheWriteTokens: 40,
      cacheWrite1hTokens: 0,
    });
    expect(
      usageFromAnthropic({
        input_tokens: 1,
        cache_creation_input_tokens: 40,
        cache_creation: { ephemeral_1h_input_tokens: 30 },
        output_tokens: 2,
      }),
    ).toMatchObject({ inputTokens: 41, cacheWriteTokens: 10, cacheWrite1hTokens: 30 });
  });

  it('is null for a missing or malformed count', () => {
    expect(usageFromAnthropic({ output_tokens: 2 })).toBeNull();
    expect(usageFromAnthropic({ input_tokens: -1, output_tokens: 2 })).toBeNull();
    expect(usageFromAnthropic({ input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 'x' })).toBeNull();
    expect(usageFromAnthropic(null)).toBeNull();
  });
});
