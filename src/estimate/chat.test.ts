import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { countChatInputTokens, estimateChatInput } from './chat.js';
import { createTokenizer, encodeCount } from './tokenizer.js';

function price(model: string, overrides: Partial<ModelPrice> = {}): ModelPrice {
  return {
    model,
    provider: 'openai',
    aliases: [],
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: 2_500_000_000n,
    cachedInput: 1_250_000_000n,
    cacheWrite: 2_500_000_000n,
    cacheWrite1h: 2_500_000_000n,
    output: 10_000_000_000n,
    reasoning: 10_000_000_000n,
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: { tools: true, jsonSchema: true, vision: true },
    downgradeTo: [],
    longContext: null,
    ...overrides,
  };
}

const gpt4o = price('gpt-4o');
const gpt4 = price('gpt-4', { encoding: 'cl100k_base', contextWindow: 8192 });
const tokenizer = createTokenizer();
const count = (body: Record<string, unknown>, model: ModelPrice = gpt4o): number =>
  countChatInputTokens(body, model, tokenizer);
const o200k = (text: string): number => encodeCount(text, 'o200k_base');

// OpenAI cookbook "How to count tokens with tiktoken": the API reported 129 prompt
// tokens for gpt-3.5-turbo / gpt-4 and 124 for gpt-4o / gpt-4o-mini on these messages.
const COOKBOOK_MESSAGES = [
  {
    role: 'system',
    content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
  },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  {
    role: 'system',
    name: 'example_user',
    content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  {
    role: 'system',
    name: 'example_assistant',
    content: "Let's talk later when we're less busy about how to do better.",
  },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

// The cookbook's tool example: the API reported 101 (gpt-4o) and 105 (gpt-4) prompt tokens.
const WEATHER_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  },
];
const WEATHER_MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

const HELLO = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Hello!' },
];

describe('countChatInputTokens: known API counts', () => {
  it('matches the cookbook example exactly (124 on o200k, 129 on cl100k)', () => {
    expect(count({ messages: COOKBOOK_MESSAGES })).toBe(124);
    expect(count({ messages: COOKBOOK_MESSAGES }, gpt4)).toBe(129);
  });

  it('counts the API reference "Hello!" request as 19 (a gpt-3.5-turbo-0613 response reported 19)', () => {
    // system: 3 + "system"(1) + 6; user: 3 + "user"(1) + "Hello!"(2); primer 3.
    expect(count({ messages: HELLO })).toBe(19);
    expect(count({ messages: HELLO }, gpt4)).toBe(19);
  });

  it('over-counts the cookbook tool example by a bounded margin (JSON of the definition)', () => {
    const withTools = count({ messages: WEATHER_MESSAGES, tools: WEATHER_TOOLS });
    const withToolsCl = count({ messages: WEATHER_MESSAGES, tools: WEATHER_TOOLS }, gpt4);
    expect(withTools).toBe(133);
    expect(withToolsCl).toBe(133);
    expect(withTools).toBeGreaterThanOrEqual(101);
    expect(withToolsCl).toBeGreaterThanOrEqual(105);
    expect(withTools).toBeLessThanOrEqual(Math.ceil(101 * 1.35));
  });
});

describe('countChatInputTokens: message parts', () => {
  const base = count({ messages: [] });

  it('primes the reply with 3 tokens even with no messages', () => {
    expect(base).toBe(3);
  });

  it('adds 1 token for a name on top of its text', () => {
    const without = count({ messages: [{ role: 'user', content: 'hi' }] });
    const named = count({ messages: [{ role: 'user', content: 'hi', name: 'alice' }] });
    expect(named - without).toBe(o200k('alice') + 1);
  });

  it('counts text parts like string content', () => {
    const asString = count({ messages: [{ role: 'user', content: 'Describe this picture please.' }] });
    const asParts = count({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe this picture please.' }] }],
    });
    expect(asParts).toBe(asString);
  });

  it('charges images by the vision rule: low = base, high/auto = the 8-tile worst case', () => {
    const image = (detail?: string): number =>
      count({
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://x/y.png', ...(detail ? { detail } : {}) } }],
          },
        ],
      });
    const frame = count({ messages: [{ role: 'user', content: [] }] });
    expect(image('low') - frame).toBe(85);
    expect(image('high') - frame).toBe(1445);
    expect(image() - frame).toBe(1445);
    const mini = price('gpt-4o-mini');
    const miniFrame = countChatInputTokens({ messages: [{ role: 'user', content: [] }] }, mini, tokenizer);
    const miniLow = countChatInputTokens(
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }],
          },
        ],
      },
      mini,
      tokenizer,
    );
    expect(miniLow - miniFrame).toBe(2833);
  });

  it('counts assistant tool calls by name and arguments, and tool results by content', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    };
    const result = { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' };
    const tokens = count({ messages: [call, result] });
    const expected =
      3 +
      (3 + o200k('assistant') + 8 + o200k('get_weather') + o200k('{"city":"Paris"}')) +
      (3 + o200k('tool') + o200k('call_1') + o200k('{"temp_c":21}'));
    expect(tokens).toBe(expected);
  });

  it('counts legacy function_call messages and functions definitions', () => {
    const legacy = {
      messages: [{ role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }],
      functions: [{ name: 'f', parameters: { type: 'object', properties: {} } }],
    };
    expect(count(legacy)).toBe(
      3 +
        3 +
        o200k('assistant') +
        8 +
        o200k('f') +
        o200k('{}') +
        12 +
        10 +
        o200k('{"name":"f","parameters":{"type":"object","properties":{}}}'),
    );
  });

  it('counts tool_choice and a json_schema response_format, not a text one', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    const plain = count({ messages });
    const schema = {
      type: 'json_schema',
      json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } },
    };
    expect(count({ messages, response_format: schema }) - plain).toBe(o200k(JSON.stringify(schema)));
    expect(count({ messages, response_format: { type: 'text' } })).toBe(plain);
    expect(count({ messages, tool_choice: 'required' }) - plain).toBe(o200k('required'));
  });

  it('counts input_audio by its size, not by tokenizing the base64', () => {
    const data = Buffer.alloc(80_000).toString('base64'); // 10 s of 8 kHz 8-bit WAV at most
    const tokens = count({
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data, format: 'wav' } }] }],
    });
    const frame = count({ messages: [{ role: 'user', content: [] }] });
    expect(tokens - frame).toBe(100 + o200k('{"format":"wav"}'));
  });

  it('counts file parts: inline data by the file rule, the rest as JSON', () => {
    const fileData = `data:text/plain;base64,${Buffer.from('x'.repeat(3000)).toString('base64')}`;
    const frame = count({ messages: [{ role: 'user', content: [] }] });
    const tokens = count({
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_data: fileData, filename: 'a.txt' } }] }],
    });
    expect(tokens - frame).toBe(1000 + o200k('{"filename":"a.txt"}'));
  });
});

describe('countChatInputTokens: models without a public tokenizer', () => {
  it('counts with o200k and multiplies by the estimate factor, rounding up', () => {
    const claude = price('claude-sonnet-4', { provider: 'anthropic', encoding: 'cl100k_base', estimateFactor: 1.4 });
    expect(countChatInputTokens({ messages: COOKBOOK_MESSAGES }, claude, tokenizer)).toBe(Math.ceil(124 * 1.4));
  });
});

describe('countChatInputTokens: caching and robustness', () => {
  it('resending a long history hits the content cache for every old message', () => {
    const local = createTokenizer();
    const history: Record<string, unknown>[] = [];
    for (let step = 0; step < 5; step++) {
      history.push({ role: 'user', content: `step ${step}: ${'lorem ipsum dolor sit amet '.repeat(200)}` });
      countChatInputTokens({ messages: [...history] }, gpt4o, local);
    }
    // 15 messages counted over 5 steps, 2 texts each (role, content): the 5 distinct
    // contents and "user" are encoded once, the other 24 lookups are hits.
    expect(local.stats()).toMatchObject({ misses: 6, hits: 24 });
  });

  it('returns a non-negative integer for any JSON body without throwing', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('messages', 'tools', 'functions', 'tool_choice', 'response_format', 'x'),
          fc.jsonValue(),
        ),
        (body) => {
          const tokens = count(body);
          expect(Number.isSafeInteger(tokens)).toBe(true);
          expect(tokens).toBeGreaterThanOrEqual(3);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(
            fc.constantFrom('role', 'content', 'name', 'tool_calls', 'function_call', 'audio'),
            fc.jsonValue(),
          ),
        ),
        (messages) => {
          expect(Number.isSafeInteger(count({ messages }))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('estimateChatInput: predicted outputs and files', () => {
  const messages = [{ role: 'user', content: 'Refactor this.' }];

  it('counts a prediction (string or text parts) as extra output, once per choice, not as input', () => {
    const code = 'function add(a, b) {\n  return a + b;\n}\n';
    const plain = estimateChatInput({ messages }, gpt4o, tokenizer);
    const predicted = estimateChatInput({ messages, prediction: { type: 'content', content: code } }, gpt4o, tokenizer);
    expect(predicted.inputTokens).toBe(plain.inputTokens);
    expect(predicted.extraOutputTokens).toBe(o200k(code));
    const parts = { type: 'content', content: [{ type: 'text', text: code }] };
    expect(estimateChatInput({ messages, prediction: parts, n: 3 }, gpt4o, tokenizer).extraOutputTokens).toBe(
      3 * o200k(code),
    );
    expect(plain.extraOutputTokens).toBe(0);
  });

  it('records every file part (by id or inline) as input the provider adds', () => {
    const withFile = (file: Record<string, unknown>) =>
      estimateChatInput({ messages: [{ role: 'user', content: [{ type: 'file', file }] }] }, gpt4o, tokenizer);
    expect(withFile({ file_id: 'file-1' }).unmeasured).toEqual(['file']);
    expect(withFile({ file_data: 'data:text/plain;base64,aGk=', filename: 'a.txt' }).unmeasured).toEqual(['file']);
    expect(estimateChatInput({ messages }, gpt4o, tokenizer).unmeasured).toEqual([]);
  });
});
