import { describe, expect, it, vi } from 'vitest';
import { RuncapError } from '../../errors.js';
import { completionsAdapter, parseCompletions } from './completions.js';

vi.mock('../../estimate/completions.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../estimate/completions.js')>()),
  estimateCompletionsInput: () => ({ inputTokens: 5, contextTokens: 5, extraOutputTokens: 0, unmeasured: [] }),
}));

const base = { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test' };

function paramOf(body: unknown): string | null | undefined {
  try {
    parseCompletions(body);
  } catch (error) {
    if (error instanceof RuncapError && error.code === 'invalid_request') return error.extra.param;
    throw error;
  }
  return undefined;
}

describe('completions parse', () => {
  it('reports no client cap but the provider default of 16', () => {
    const parsed = parseCompletions(base);
    expect([
      parsed.clientMaxOutputTokens,
      parsed.defaultMaxOutputTokens,
      parsed.outputMultiplier,
      parsed.hasOutput,
    ]).toEqual([null, 16, 1, true]);
    expect(parsed.needs).toEqual({ tools: false, jsonSchema: false, vision: false });
  });

  it('accepts every prompt shape', () => {
    for (const prompt of ['x', ['a', 'b'], [1, 2, 3], [[1], [2, 3]]]) {
      expect(parseCompletions({ ...base, prompt }).model).toBe(base.model);
    }
  });

  it('multiplies output by max(n, best_of)', () => {
    expect(parseCompletions({ ...base, n: 2 }).outputMultiplier).toBe(2);
    expect(parseCompletions({ ...base, n: 2, best_of: 5 }).outputMultiplier).toBe(5);
    expect(parseCompletions({ ...base, best_of: 3 }).outputMultiplier).toBe(3);
  });

  it('multiplies output by the number of prompts of a batch too', () => {
    expect(parseCompletions({ ...base, prompt: ['a', 'b', 'c'], n: 2 }).outputMultiplier).toBe(6);
    expect(parseCompletions({ ...base, prompt: [[1], [2]], best_of: 3 }).outputMultiplier).toBe(6);
    expect(parseCompletions({ ...base, prompt: [1, 2, 3] }).outputMultiplier).toBe(1);
  });

  it('reads max_tokens and stream usage', () => {
    const parsed = parseCompletions({ ...base, max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    expect([parsed.clientMaxOutputTokens, parsed.stream, parsed.clientWantsStreamUsage]).toEqual([64, true, true]);
  });

  it.each([
    ['missing prompt', { model: 'm' }, 'prompt'],
    ['empty prompt', { ...base, prompt: '' }, 'prompt'],
    ['empty prompt array', { ...base, prompt: [] }, 'prompt'],
    ['mixed prompt array', { ...base, prompt: ['a', 1] }, 'prompt[1]'],
    ['negative token id', { ...base, prompt: [1, -2] }, 'prompt[1]'],
    ['empty token array', { ...base, prompt: [[1], []] }, 'prompt[1]'],
    ['prompt object', { ...base, prompt: { text: 'x' } }, 'prompt'],
    ['negative max_tokens', { ...base, max_tokens: -1 }, 'max_tokens'],
    ['n zero', { ...base, n: 0 }, 'n'],
    ['best_of fractional', { ...base, best_of: 1.5 }, 'best_of'],
    ['echo not boolean', { ...base, echo: 'yes' }, 'echo'],
    ['suffix not a string', { ...base, suffix: 1 }, 'suffix'],
  ])('rejects %s', (_name, body, param) => {
    expect(paramOf(body)).toBe(param);
  });
});

describe('completions prepareUpstream', () => {
  it('returns null when nothing changes', () => {
    expect(
      completionsAdapter.prepareUpstream(parseCompletions({ ...base, max_tokens: 10 }), { maxOutputTokens: 10 }),
    ).toBeNull();
  });

  it('writes max_tokens, the model, and asks for stream usage', () => {
    const request = parseCompletions({ ...base, stream: true });
    expect(completionsAdapter.prepareUpstream(request, { model: 'davinci-002', maxOutputTokens: 16 })).toEqual({
      ...base,
      model: 'davinci-002',
      stream: true,
      max_tokens: 16,
      stream_options: { include_usage: true },
    });
  });

  it('reads usage from a JSON response', () => {
    const json = { object: 'text_completion', usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } };
    expect(completionsAdapter.usageFromJson(json)).toEqual({
      inputTokens: 5,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 7,
      reasoningTokens: 0,
    });
  });
});
