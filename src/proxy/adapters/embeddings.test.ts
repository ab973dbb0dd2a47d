import { describe, expect, it, vi } from 'vitest';
import { RuncapError } from '../../errors.js';
import { ADAPTERS } from './index.js';
import { embeddingsAdapter, parseEmbeddings } from './embeddings.js';

vi.mock('../../estimate/chat.js', () => ({ countChatInputTokens: () => 0 }));
vi.mock('../../estimate/responses.js', () => ({ countResponsesInputTokens: () => 0 }));
vi.mock('../../estimate/completions.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../estimate/completions.js')>()),
  estimateCompletionsInput: () => ({ inputTokens: 0, contextTokens: 0, extraOutputTokens: 0, unmeasured: [] }),
}));
vi.mock('../../estimate/embeddings.js', () => ({ countEmbeddingsInputTokens: () => 0 }));

const base = { model: 'text-embedding-3-small', input: ['a', 'b'] };

function paramOf(body: unknown): string | null | undefined {
  try {
    parseEmbeddings(body);
  } catch (error) {
    if (error instanceof RuncapError && error.code === 'invalid_request') return error.extra.param;
    throw error;
  }
  return undefined;
}

describe('embeddings adapter', () => {
  it('parses an input-only request and ignores a stream flag', () => {
    expect(parseEmbeddings({ ...base, stream: true })).toEqual({
      endpoint: 'embeddings',
      body: { ...base, stream: true },
      model: 'text-embedding-3-small',
      stream: false,
      clientMaxOutputTokens: null,
      outputMultiplier: 1,
      needs: { tools: false, jsonSchema: false, vision: false },
      clientWantsStreamUsage: false,
      previousResponseId: null,
      serviceTier: null,
      hasOutput: false,
    });
  });

  it.each([
    ['missing input', { model: 'm' }, 'input'],
    ['empty string', { ...base, input: '' }, 'input'],
    ['empty array', { ...base, input: [] }, 'input'],
    ['non-string item', { ...base, input: ['a', null] }, 'input[1]'],
    ['dimensions zero', { ...base, dimensions: 0 }, 'dimensions'],
    ['missing model', { input: 'x' }, 'model'],
  ])('rejects %s', (_name, body, param) => {
    expect(paramOf(body)).toBe(param);
  });

  it('rewrites only the model; an output cap never applies', () => {
    const request = parseEmbeddings(base);
    expect(embeddingsAdapter.prepareUpstream(request, { maxOutputTokens: 100 })).toBeNull();
    expect(embeddingsAdapter.prepareUpstream(request, { model: 'text-embedding-3-large' })).toEqual({
      ...base,
      model: 'text-embedding-3-large',
    });
  });

  it('reads usage and meters nothing from a stream', () => {
    expect(
      embeddingsAdapter.usageFromJson({ object: 'list', usage: { prompt_tokens: 8, total_tokens: 8 } })?.inputTokens,
    ).toBe(8);
    const meter = embeddingsAdapter.meterStream(parseEmbeddings(base));
    const bytes = new TextEncoder().encode('{"object":"list"}');
    expect(meter.push(bytes)).toBe(bytes);
    expect(meter.flush()).toHaveLength(0);
    expect(meter.result()).toEqual({ usage: null, outputText: '', responseId: null, hostedCalls: {} });
  });
});

describe('ADAPTERS', () => {
  it('maps each metered path under /v1 to its adapter', () => {
    expect([...ADAPTERS].map(([path, adapter]) => [path, adapter.name, adapter.path])).toEqual([
      ['/chat/completions', 'chat', '/chat/completions'],
      ['/responses', 'responses', '/responses'],
      ['/completions', 'completions', '/completions'],
      ['/embeddings', 'embeddings', '/embeddings'],
      ['/messages', 'messages', '/messages'],
    ]);
  });
});
