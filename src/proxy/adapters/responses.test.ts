import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { StreamMeter } from '../adapter.js';
import { RuncapError } from '../../errors.js';
import { parseResponses, responsesAdapter } from './responses.js';

vi.mock('../../estimate/responses.js', () => ({ countResponsesInputTokens: () => 77 }));

const enc = new TextEncoder();
const dec = new TextDecoder();
const base = { model: 'gpt-4.1-mini', input: 'Tell me a joke' };

function paramOf(body: unknown): string | null | undefined {
  try {
    parseResponses(body);
  } catch (error) {
    if (error instanceof RuncapError && error.code === 'invalid_request') return error.extra.param;
    throw error;
  }
  return undefined;
}

function feed(meter: StreamMeter, bytes: Uint8Array, cuts: readonly number[] = []): string {
  const out: Uint8Array[] = [];
  let last = 0;
  for (const cut of [...new Set(cuts)].map((c) => c % (bytes.length + 1)).sort((a, b) => a - b)) {
    out.push(meter.push(bytes.subarray(last, cut)));
    last = cut;
  }
  out.push(meter.push(bytes.subarray(last)), meter.flush());
  return dec.decode(Buffer.concat(out));
}

describe('responses parse', () => {
  it('parses a minimal body', () => {
    expect(parseResponses(base)).toEqual({
      endpoint: 'responses',
      body: base,
      model: 'gpt-4.1-mini',
      stream: false,
      clientMaxOutputTokens: null,
      outputMultiplier: 1,
      needs: { tools: false, jsonSchema: false, vision: false },
      clientWantsStreamUsage: false,
      previousResponseId: null,
      serviceTier: null,
      conversationId: null,
      hostedTools: null,
      hasOutput: true,
      background: false,
    });
  });

  it('reads cap, stream, chain and needs', () => {
    const parsed = parseResponses({
      model: 'gpt-4.1-mini',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'x' },
            { type: 'input_image', image_url: 'data:' },
          ],
        },
      ],
      instructions: 'be brief',
      max_output_tokens: 256,
      stream: true,
      tools: [{ type: 'web_search' }],
      text: { format: { type: 'json_schema', name: 'x', schema: {} } },
      previous_response_id: 'resp_abc',
    });
    expect([parsed.clientMaxOutputTokens, parsed.stream, parsed.previousResponseId]).toEqual([256, true, 'resp_abc']);
    expect(parsed.needs).toEqual({ tools: true, jsonSchema: true, vision: true });
  });

  it('allows a missing input only when continuing a previous response', () => {
    expect(parseResponses({ model: 'm', previous_response_id: 'resp_1' }).previousResponseId).toBe('resp_1');
    expect(paramOf({ model: 'm' })).toBe('input');
  });

  it.each([
    ['not an object', 'x', null],
    ['missing model', { input: 'x' }, 'model'],
    ['input a number', { ...base, input: 5 }, 'input'],
    ['input item not an object', { ...base, input: ['x'] }, 'input[0]'],
    ['instructions not a string', { ...base, instructions: 3 }, 'instructions'],
    ['negative cap', { ...base, max_output_tokens: -1 }, 'max_output_tokens'],
    ['fractional cap', { ...base, max_output_tokens: 10.5 }, 'max_output_tokens'],
    ['stream not boolean', { ...base, stream: 1 }, 'stream'],
    ['tools not an array', { ...base, tools: 'web' }, 'tools'],
    ['previous_response_id empty', { ...base, previous_response_id: '' }, 'previous_response_id'],
    ['previous_response_id a number', { ...base, previous_response_id: 7 }, 'previous_response_id'],
  ])('rejects %s', (_name, body, param) => {
    expect(paramOf(body)).toBe(param);
  });
});

describe('responses prepareUpstream', () => {
  it('returns null when nothing changes, streaming or not (usage is always in the stream)', () => {
    expect(responsesAdapter.prepareUpstream(parseResponses(base), {})).toBeNull();
    expect(responsesAdapter.prepareUpstream(parseResponses({ ...base, stream: true }), {})).toBeNull();
  });

  it('rewrites model and max_output_tokens only', () => {
    const request = parseResponses({ ...base, stream: true, max_output_tokens: 9000 });
    expect(responsesAdapter.prepareUpstream(request, { model: 'gpt-4.1-nano', maxOutputTokens: 1000 })).toEqual({
      ...base,
      stream: true,
      model: 'gpt-4.1-nano',
      max_output_tokens: 1000,
    });
  });

  it('reads usage and the id from a JSON response, and delegates input counting', () => {
    const json = {
      id: 'resp_9',
      object: 'response',
      usage: { input_tokens: 5, output_tokens: 2, input_tokens_details: { cached_tokens: 1 } },
    };
    expect(responsesAdapter.usageFromJson(json)?.cachedInputTokens).toBe(1);
    expect(responsesAdapter.responseIdFromJson?.(json)).toBe('resp_9');
    expect(responsesAdapter.responseIdFromJson?.({ id: 3 })).toBeNull();
    expect(responsesAdapter.usageFromJson({ id: 'resp_9' })).toBeNull();
  });
});

const event = (type: string, payload: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
const response = (status: string, usage: unknown) => ({ id: 'resp_42', object: 'response', status, usage });
const USAGE = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 10 },
  output_tokens: 12,
  output_tokens_details: { reasoning_tokens: 4 },
  total_tokens: 42,
};
const body = [
  event('response.created', { sequence_number: 0, response: response('in_progress', null) }),
  event('response.in_progress', { sequence_number: 1, response: response('in_progress', null) }),
  event('response.output_text.delta', {
    sequence_number: 2,
    item_id: 'msg_1',
    output_index: 0,
    content_index: 0,
    delta: 'Why ',
  }),
  event('response.function_call_arguments.delta', {
    sequence_number: 3,
    item_id: 'fc_1',
    output_index: 1,
    delta: '{"a":1}',
  }),
  event('response.refusal.delta', {
    sequence_number: 4,
    item_id: 'msg_1',
    output_index: 0,
    content_index: 0,
    delta: '…',
  }),
  event('response.audio.delta', { sequence_number: 5, delta: 'AAAA' }),
  event('response.output_text.done', { sequence_number: 6, text: 'Why ' }),
].join('');

describe('responses stream meter', () => {
  for (const terminal of ['response.completed', 'response.incomplete', 'response.failed']) {
    it(`reads usage and id from ${terminal} and forwards every byte, for any chunking`, () => {
      const s = body + event(terminal, { sequence_number: 7, response: response('done', USAGE) });
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
          const meter = responsesAdapter.meterStream(parseResponses({ ...base, stream: true }));
          expect(feed(meter, enc.encode(s), cuts)).toBe(s);
          expect(meter.result()).toEqual({
            usage: {
              inputTokens: 30,
              cachedInputTokens: 10,
              cacheWriteTokens: 0,
              cacheWrite1hTokens: 0,
              outputTokens: 12,
              reasoningTokens: 4,
            },
            outputText: 'Why {"a":1}…',
            responseId: 'resp_42',
            hostedCalls: {},
          });
        }),
        { numRuns: 100 },
      );
    });
  }

  it('ends without usage on an error event', () => {
    const s = body + event('error', { sequence_number: 7, code: 'server_error', message: 'boom', param: null });
    const meter = responsesAdapter.meterStream(parseResponses({ ...base, stream: true }));
    expect(feed(meter, enc.encode(s))).toBe(s);
    expect(meter.result().usage).toBeNull();
    expect(meter.result().responseId).toBe('resp_42');
  });

  it('returns no usage and the partial text for a cut stream', () => {
    const cut = body.slice(0, body.indexOf('response.function_call_arguments.delta') + 10);
    const meter = responsesAdapter.meterStream(parseResponses({ ...base, stream: true }));
    expect(feed(meter, enc.encode(cut), [50])).toBe(cut);
    expect(meter.result()).toEqual({ usage: null, outputText: 'Why ', responseId: 'resp_42', hostedCalls: {} });
  });

  it('uses the event field when the data has no type, and ignores malformed data', () => {
    const s = 'event: response.output_text.delta\ndata: {"delta":"hi"}\n\nevent: response.completed\ndata: {oops\n\n';
    const meter = responsesAdapter.meterStream(parseResponses({ ...base, stream: true }));
    expect(feed(meter, enc.encode(s))).toBe(s);
    expect(meter.result()).toEqual({ usage: null, outputText: 'hi', responseId: null, hostedCalls: {} });
  });
});
