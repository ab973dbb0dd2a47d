import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ModelPrice } from '../pricing/types.js';
import { countChatInputTokens } from './chat.js';
import { countResponsesInputTokens, estimateResponsesInput } from './responses.js';
import { createTokenizer, encodeCount } from './tokenizer.js';

function price(model: string, overrides: Partial<ModelPrice> = {}): ModelPrice {
  return {
    model,
    provider: 'openai',
    aliases: [],
    encoding: 'o200k_base',
    estimateFactor: 1,
    input: 1_250_000_000n,
    cachedInput: 125_000_000n,
    cacheWrite: 1_250_000_000n,
    cacheWrite1h: 1_250_000_000n,
    output: 10_000_000_000n,
    reasoning: 10_000_000_000n,
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    capabilities: { tools: true, jsonSchema: true, vision: true },
    downgradeTo: [],
    longContext: null,
    ...overrides,
  };
}

const gpt41 = price('gpt-4.1');
const tokenizer = createTokenizer();
const count = (body: Record<string, unknown>, model: ModelPrice = gpt41): number =>
  countResponsesInputTokens(body, model, tokenizer);
const o200k = (text: string): number => encodeCount(text, 'o200k_base');

describe('countResponsesInputTokens', () => {
  it('counts instructions and a string input like a developer and a user message', () => {
    expect(count({ instructions: 'You are a helpful assistant.', input: 'Hello!' })).toBe(
      3 + (3 + o200k('developer') + 6) + (3 + o200k('user') + 2),
    );
    expect(count({ input: 'Hello!' })).toBe(
      countChatInputTokens({ messages: [{ role: 'user', content: 'Hello!' }] }, gpt41, tokenizer),
    );
  });

  it('counts message items with string or part content like chat messages', () => {
    const items = [
      { type: 'message', role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: [{ type: 'input_text', text: 'Hello!' }] },
    ];
    const chat = countChatInputTokens(
      {
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Hello!' },
        ],
      },
      gpt41,
      tokenizer,
    );
    expect(count({ input: items })).toBe(chat);
    expect(count({ input: items })).toBe(19);
  });

  it('charges input_image by the model rule and output_text history by its text', () => {
    const frame = count({ input: [{ role: 'user', content: [] }] });
    const low = count({
      input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/a.png', detail: 'low' }] }],
    });
    const auto = count({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] });
    expect(low - frame).toBe(85);
    expect(auto - frame).toBe(1445);
    const mini = price('gpt-4.1-mini');
    const miniFrame = countResponsesInputTokens({ input: [{ role: 'user', content: [] }] }, mini, tokenizer);
    const miniLow = countResponsesInputTokens(
      { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/a.png', detail: 'low' }] }] },
      mini,
      tokenizer,
    );
    expect(miniLow - miniFrame).toBe(2489); // patch model: 1536 patches x 1.62, detail ignored
    const reply = count({
      input: [{ role: 'assistant', content: [{ type: 'output_text', text: 'Sure.', annotations: [] }] }],
    });
    expect(reply).toBe(3 + 3 + o200k('assistant') + o200k('Sure.'));
  });

  it('counts function calls by name and arguments and outputs by their text', () => {
    const call = {
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    };
    const output = { type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' };
    expect(count({ input: [call, output] })).toBe(
      3 + (3 + 8 + o200k('get_weather') + o200k('{"city":"Paris"}')) + (3 + o200k('call_1') + o200k('{"temp_c":21}')),
    );
  });

  it('counts reasoning items (summary and encrypted content) and unknown items as JSON', () => {
    const reasoning = {
      type: 'reasoning',
      id: 'rs_1',
      summary: [{ type: 'summary_text', text: 'Thinking.' }],
      encrypted_content: 'gAAAAB',
    };
    expect(count({ input: [reasoning] })).toBe(
      3 + 3 + o200k(JSON.stringify({ summary: reasoning.summary, encrypted_content: 'gAAAAB' })),
    );
    const reference = { type: 'item_reference', id: 'msg_123' };
    expect(count({ input: [reference] })).toBe(3 + 3 + o200k(JSON.stringify(reference)));
  });

  it('counts function tools, built-in tools, tool_choice and the text.format schema', () => {
    const tool = { type: 'function', name: 'f', description: 'd', parameters: { type: 'object', properties: {} } };
    const search = { type: 'web_search' };
    const format = {
      type: 'json_schema',
      name: 'out',
      schema: { type: 'object', properties: { a: { type: 'number' } } },
    };
    const plain = count({ input: 'hi' });
    expect(count({ input: 'hi', tools: [tool, search] }) - plain).toBe(
      12 + 10 + o200k(JSON.stringify(tool)) + 10 + o200k(JSON.stringify(search)),
    );
    expect(count({ input: 'hi', tool_choice: { type: 'function', name: 'f' } }) - plain).toBe(
      o200k('{"type":"function","name":"f"}'),
    );
    expect(count({ input: 'hi', text: { format } }) - plain).toBe(o200k(JSON.stringify(format)));
    expect(count({ input: 'hi', text: { format: { type: 'text' } } })).toBe(plain);
  });

  it('applies the estimate factor for models without a public tokenizer', () => {
    const other = price('gemini-2.5-pro', { provider: 'google', estimateFactor: 1.25 });
    expect(countResponsesInputTokens({ input: 'Hello!' }, other, tokenizer)).toBe(
      Math.ceil(count({ input: 'Hello!' }) * 1.25),
    );
  });

  it('returns a non-negative integer for any JSON body without throwing', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('instructions', 'input', 'tools', 'tool_choice', 'text', 'prompt'),
          fc.jsonValue(),
        ),
        (body) => {
          const tokens = count(body);
          expect(Number.isSafeInteger(tokens) && tokens >= 3).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('estimateResponsesInput: input the provider adds from its side', () => {
  const estimate = (body: Record<string, unknown>) => estimateResponsesInput(body, gpt41, tokenizer);

  it('records item references (typed, or an item with only an id), stored prompts and files', () => {
    expect(estimate({ input: [{ type: 'item_reference', id: 'msg_1' }] }).unmeasured).toEqual(['item_reference']);
    expect(estimate({ input: [{ id: 'msg_1' }] }).unmeasured).toEqual(['item_reference']);
    expect(estimate({ prompt: { id: 'pmpt_1', variables: { a: 'b' } } }).unmeasured).toEqual(['stored_prompt']);
    const file = (part: Record<string, unknown>) =>
      estimate({ input: [{ role: 'user', content: [{ type: 'input_file', ...part }] }] }).unmeasured;
    expect(file({ file_id: 'file-1' })).toEqual(['file']);
    expect(file({ file_url: 'https://files.example/a.pdf' })).toEqual(['file']);
    expect(file({ file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' })).toEqual(['file']);
  });

  it('records nothing for what the request carries itself (messages, images, function outputs)', () => {
    const body = {
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'hi' },
            { type: 'input_image', image_url: 'https://x/y.png' },
          ],
        },
        { type: 'function_call_output', call_id: 'c1', output: 'done' },
      ],
    };
    expect(estimate(body)).toEqual({
      inputTokens: count(body),
      contextTokens: count(body),
      extraOutputTokens: 0,
      unmeasured: [],
    });
  });
});
