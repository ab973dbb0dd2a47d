// The Messages estimator over every block type, with a stub tokenizer (one token per word).
import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { REPLY_PRIMER_TOKENS, TOKENS_PER_MESSAGE } from './chat.js';
import { CLAUDE_IMAGE_MAX_TOKENS, TOOL_USE_SYSTEM_PROMPT_TOKENS, estimateMessagesInput } from './messages.js';
import { TOKENS_PER_FUNCTION_DEFINITION, TOKENS_PER_TOOLS_BLOCK } from './tool-definitions.js';
import type { Tokenizer } from './types.js';

const price: ModelPrice = {
  model: 'claude-sonnet-4-5',
  provider: 'anthropic',
  aliases: [],
  encoding: 'o200k_base',
  estimateFactor: 1,
  input: 3_000_000_000n,
  cachedInput: 300_000_000n,
  cacheWrite: 3_750_000_000n,
  cacheWrite1h: 6_000_000_000n,
  output: 15_000_000_000n,
  reasoning: 15_000_000_000n,
  contextWindow: 200_000,
  maxOutputTokens: 64_000,
  capabilities: { tools: true, jsonSchema: false, vision: true },
  downgradeTo: [],
  longContext: null,
};
const tokenizer: Tokenizer = { count: (text) => text.split(/\s+/).filter(Boolean).length };
const estimate = (body: Record<string, unknown>, p: ModelPrice = price) => estimateMessagesInput(body, p, tokenizer);
const one = (content: unknown) => ({ messages: [{ role: 'user', content }] });
/** Tokens of a one-message request whose content counts `n` (role "user" is one word). */
const framed = (n: number) => REPLY_PRIMER_TOKENS + TOKENS_PER_MESSAGE + 1 + n;

describe('estimateMessagesInput', () => {
  it('counts system (string or blocks) and text blocks', () => {
    expect(estimate({ system: 'be brief', ...one('a b c') }).inputTokens).toBe(framed(3) + 2);
    expect(
      estimate({ system: [{ type: 'text', text: 'be brief' }], ...one([{ type: 'text', text: 'a b' }]) }).inputTokens,
    ).toBe(framed(2) + 2);
  });

  it('holds each image at the most Claude bills for one, whatever its bytes', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(100_000) } };
    expect(estimate(one([image, image])).inputTokens).toBe(framed(2 * CLAUDE_IMAGE_MAX_TOKENS));
  });

  it('counts a text document, and marks a PDF or a document by URL as provider-side input', () => {
    const text = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'one two three' } };
    expect(estimate(one([text]))).toMatchObject({ inputTokens: framed(3), unmeasured: [] });
    const pdf = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' } };
    expect(estimate(one([pdf])).unmeasured).toEqual(['file']);
    expect(estimate(one([{ type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }])).unmeasured).toEqual([
      'file',
    ]);
  });

  it('counts tool_use input, tool_result content (nested blocks too), thinking text but not its signature', () => {
    const turn = {
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'I will list', signature: 'very long opaque signature text here' },
            { type: 'tool_use', id: 'toolu_1', name: 'ls', input: { path: '.' } },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a b c d' }] }],
        },
      ],
    };
    const tokens = estimate(turn).inputTokens;
    // 3 messages framed, roles, "go", thinking (3), name (1) + input JSON (1 word), result (4).
    expect(tokens).toBe(REPLY_PRIMER_TOKENS + 3 * TOKENS_PER_MESSAGE + 3 + 1 + 3 + 1 + 1 + 4);
  });

  it('adds the tool-use system prompt and each definition', () => {
    const tools = [{ name: 'ls', description: 'list files', input_schema: { type: 'object' } }];
    expect(estimate({ ...one('x'), tools }).inputTokens).toBe(
      framed(1) + TOKENS_PER_TOOLS_BLOCK + TOOL_USE_SYSTEM_PROMPT_TOKENS + TOKENS_PER_FUNCTION_DEFINITION + 2,
    );
  });

  it('finds the cache writes a request can cause: none, 5-minute, or 1-hour anywhere', () => {
    expect(estimate(one('x')).cacheWrites).toBe('none');
    const marked = (ttl?: string) => ({
      type: 'text',
      text: 'x',
      cache_control: { type: 'ephemeral', ...(ttl ? { ttl } : {}) },
    });
    expect(estimate(one([marked()])).cacheWrites).toBe('5m');
    expect(estimate({ system: [marked('1h')], ...one([marked()]) }).cacheWrites).toBe('1h');
    expect(
      estimate({
        ...one('x'),
        tools: [{ name: 't', input_schema: {}, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      }).cacheWrites,
    ).toBe('1h');
    expect(estimate({ ...one('x'), cache_control: { type: 'ephemeral' } }).cacheWrites).toBe('5m');
    const nested = { type: 'tool_result', tool_use_id: 't', content: [marked('1h')] };
    expect(estimate(one([nested])).cacheWrites).toBe('1h');
  });

  it('scales by the estimate factor, rounding up', () => {
    expect(estimate(one('a b c'), { ...price, estimateFactor: 1.4 }).inputTokens).toBe(Math.ceil(framed(3) * 1.4));
  });
});
