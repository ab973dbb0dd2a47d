import { describe, expect, it, vi } from 'vitest';
import type { ModelPrice } from '../../pricing/types.js';
import type { Tokenizer } from '../../estimate/types.js';
import { RuncapError } from '../../errors.js';
import { chatAdapter, parseChat } from './chat.js';

const estimate = { inputTokens: 321, contextTokens: 321, extraOutputTokens: 0, unmeasured: [] };
const estimateChatInput = vi.hoisted(() => vi.fn(() => estimate));
vi.mock('../../estimate/chat.js', () => ({ estimateChatInput }));

const user = { role: 'user', content: 'hi' };
const base = { model: 'gpt-4o-mini', messages: [user] };

function paramOf(body: unknown): string | null | undefined {
  try {
    parseChat(body);
  } catch (error) {
    if (error instanceof RuncapError && error.code === 'invalid_request') return error.extra.param;
    throw error;
  }
  return undefined;
}

describe('chat parse', () => {
  it('parses a minimal body with defaults', () => {
    const parsed = parseChat(base);
    expect(parsed).toEqual({
      endpoint: 'chat',
      body: base,
      model: 'gpt-4o-mini',
      stream: false,
      clientMaxOutputTokens: null,
      outputMultiplier: 1,
      needs: { tools: false, jsonSchema: false, vision: false },
      clientWantsStreamUsage: false,
      previousResponseId: null,
      serviceTier: null,
      hostedTools: null,
      hasOutput: true,
    });
  });

  it('reads caps (the larger when both are sent), n, stream and stream usage', () => {
    const parsed = parseChat({
      ...base,
      max_tokens: 900,
      max_completion_tokens: 500,
      n: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect([
      parsed.clientMaxOutputTokens,
      parsed.outputMultiplier,
      parsed.stream,
      parsed.clientWantsStreamUsage,
    ]).toEqual([900, 3, true, true]);
    expect(parseChat({ ...base, max_completion_tokens: 500 }).clientMaxOutputTokens).toBe(500);
    expect(parseChat({ ...base, max_tokens: 0 }).clientMaxOutputTokens).toBe(0);
    expect(parseChat({ ...base, max_tokens: null, n: null, stream: null }).clientMaxOutputTokens).toBeNull();
  });

  it('derives needs: tools/functions, json_schema and json_object, image parts', () => {
    const image = {
      role: 'user',
      content: [
        { type: 'text', text: 'x' },
        { type: 'image_url', image_url: { url: 'data:' } },
      ],
    };
    expect(parseChat({ ...base, tools: [{ type: 'function', function: { name: 'f' } }] }).needs.tools).toBe(true);
    expect(parseChat({ ...base, functions: [{ name: 'f' }] }).needs.tools).toBe(true);
    expect(parseChat({ ...base, tools: [] }).needs.tools).toBe(false);
    expect(parseChat({ ...base, response_format: { type: 'json_schema', json_schema: {} } }).needs.jsonSchema).toBe(
      true,
    );
    expect(parseChat({ ...base, response_format: { type: 'json_object' } }).needs.jsonSchema).toBe(true);
    expect(parseChat({ ...base, response_format: { type: 'text' } }).needs.jsonSchema).toBe(false);
    expect(parseChat({ ...base, messages: [user, image] }).needs.vision).toBe(true);
  });

  it.each([
    ['not an object', [base], null],
    ['null body', null, null],
    ['missing model', { messages: [user] }, 'model'],
    ['empty model', { ...base, model: ' ' }, 'model'],
    ['model not a string', { ...base, model: 4 }, 'model'],
    ['missing messages', { model: 'm' }, 'messages'],
    ['empty messages', { ...base, messages: [] }, 'messages'],
    ['message not an object', { ...base, messages: [user, 'hi'] }, 'messages[1]'],
    ['message without role', { ...base, messages: [user, { content: 'x' }] }, 'messages[1].role'],
    ['stream not boolean', { ...base, stream: 'yes' }, 'stream'],
    ['negative max_tokens', { ...base, max_tokens: -1 }, 'max_tokens'],
    ['fractional max_tokens', { ...base, max_tokens: 1.5 }, 'max_tokens'],
    ['string max_tokens', { ...base, max_tokens: '100' }, 'max_tokens'],
    ['bad max_completion_tokens', { ...base, max_completion_tokens: -5 }, 'max_completion_tokens'],
    ['n zero', { ...base, n: 0 }, 'n'],
    ['n fractional', { ...base, n: 1.5 }, 'n'],
    ['tools not an array', { ...base, tools: {} }, 'tools'],
    ['stream_options not an object', { ...base, stream: true, stream_options: true }, 'stream_options'],
  ])('rejects %s', (_name, body, param) => {
    expect(paramOf(body)).toBe(param);
  });
});

describe('chat prepareUpstream', () => {
  it('returns null when nothing changes on a non-streaming call', () => {
    const request = parseChat({ ...base, max_tokens: 100 });
    expect(chatAdapter.prepareUpstream(request, {})).toBeNull();
    expect(chatAdapter.prepareUpstream(request, { model: 'gpt-4o-mini', maxOutputTokens: 100 })).toBeNull();
  });

  it('returns null for a stream whose client already asked for usage', () => {
    const request = parseChat({ ...base, stream: true, stream_options: { include_usage: true } });
    expect(chatAdapter.prepareUpstream(request, {})).toBeNull();
  });

  it('writes the cap into max_completion_tokens when the client sent no cap', () => {
    const request = parseChat(base);
    expect(chatAdapter.prepareUpstream(request, { maxOutputTokens: 4096 })).toEqual({
      ...base,
      max_completion_tokens: 4096,
    });
  });

  it('writes the cap into the field the client used, and into both when it sent both', () => {
    const legacy = parseChat({ ...base, max_tokens: 9000 });
    expect(chatAdapter.prepareUpstream(legacy, { maxOutputTokens: 2000 })).toEqual({ ...base, max_tokens: 2000 });
    const both = parseChat({ ...base, max_tokens: 9000, max_completion_tokens: 8000 });
    expect(chatAdapter.prepareUpstream(both, { maxOutputTokens: 2000 })).toEqual({
      ...base,
      max_tokens: 2000,
      max_completion_tokens: 2000,
    });
  });

  it('replaces the model and leaves the parsed body untouched', () => {
    const body = { ...base, temperature: 0.2 };
    const request = parseChat(body);
    const out = chatAdapter.prepareUpstream(request, { model: 'gpt-4.1-nano' });
    expect(out).toEqual({ ...body, model: 'gpt-4.1-nano' });
    expect(body.model).toBe('gpt-4o-mini');
  });

  it('asks for the usage chunk on streams, keeping the client stream_options', () => {
    const request = parseChat({ ...base, stream: true, stream_options: { include_obfuscation: false } });
    const out = chatAdapter.prepareUpstream(request, {});
    expect(out?.['stream_options']).toEqual({ include_obfuscation: false, include_usage: true });
    const plain = chatAdapter.prepareUpstream(parseChat({ ...base, stream: true }), { maxOutputTokens: 50 });
    expect(plain).toEqual({
      ...base,
      stream: true,
      max_completion_tokens: 50,
      stream_options: { include_usage: true },
    });
  });
});

describe('chat usage and input tokens', () => {
  it('reads the service tier the response reports with its usage', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 3 };
    expect(chatAdapter.usageFromJson({ usage, service_tier: 'priority' })?.serviceTier).toBe('priority');
    expect(chatAdapter.usageFromJson({ usage })?.serviceTier).toBeUndefined();
    expect(chatAdapter.usageFromJson({ usage, service_tier: 7 })?.serviceTier).toBeUndefined();
  });

  it('reads service_tier from the request, and refuses one that is not a non-empty string', () => {
    const body = { model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] };
    expect(chatAdapter.parse({ ...body, service_tier: 'flex' }).serviceTier).toBe('flex');
    expect(chatAdapter.parse({ ...body, service_tier: null }).serviceTier).toBeNull();
    for (const bad of [1, '', ['priority']]) {
      expect(paramOf({ ...body, service_tier: bad })).toBe('service_tier');
    }
  });

  it('reads usage from a JSON response and null when absent', () => {
    expect(chatAdapter.usageFromJson({ usage: { prompt_tokens: 10, completion_tokens: 3 } })?.outputTokens).toBe(3);
    expect(chatAdapter.usageFromJson({ choices: [] })).toBeNull();
    expect(chatAdapter.usageFromJson('nope')).toBeNull();
  });

  it('delegates input counting to the chat estimator with the request body', () => {
    const request = parseChat(base);
    const price = { model: 'gpt-4o-mini' } as unknown as ModelPrice;
    const tokenizer: Tokenizer = { count: (text) => text.length };
    expect(chatAdapter.estimateInput(request, price, tokenizer).inputTokens).toBe(321);
    expect(estimateChatInput).toHaveBeenCalledWith(request.body, price, tokenizer);
  });
});
