import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { StreamMeter } from '../adapter.js';
import { chatAdapter, parseChat } from './chat.js';
import { completionsAdapter, parseCompletions } from './completions.js';

vi.mock('../../estimate/chat.js', () => ({ countChatInputTokens: () => 0 }));
vi.mock('../../estimate/completions.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../estimate/completions.js')>()),
  estimateCompletionsInput: () => ({ inputTokens: 0, contextTokens: 0, extraOutputTokens: 0, unmeasured: [] }),
}));

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `bytes` to the meter in pieces cut at `cuts`; returns everything it forwarded. */
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

const ev = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`;
const chunk = (choices: unknown[], usage?: unknown) =>
  ev({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices,
    ...(usage === undefined ? {} : { usage }),
  });
const delta = (d: Record<string, unknown>, finish: string | null = null) => [
  { index: 0, delta: d, finish_reason: finish },
];
const USAGE = {
  prompt_tokens: 11,
  completion_tokens: 7,
  total_tokens: 18,
  prompt_tokens_details: { cached_tokens: 4 },
  completion_tokens_details: { reasoning_tokens: 2 },
};

const usageEvent = chunk([], USAGE);
const head = [
  ': OPENROUTER PROCESSING\n\n',
  chunk(delta({ role: 'assistant', content: '' }), null),
  chunk(delta({ content: 'Hél' }), null),
  chunk(delta({ content: 'lo 😀' }), null),
  chunk(delta({}, 'stop'), null),
].join('');
const stream = head + usageEvent + 'data: [DONE]\n\n';
const bytes = enc.encode(stream);

const chatRequest = (includeUsage: boolean) =>
  parseChat({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'x' }],
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });

describe('chat stream meter', () => {
  it('reports the service tier the chunks carry with the usage', () => {
    const tiered = (json: string) =>
      json.replaceAll('"model":"gpt-4o-mini"', '"model":"gpt-4o-mini","service_tier":"priority"');
    const meter = chatAdapter.meterStream(chatRequest(true));
    feed(meter, enc.encode(tiered(stream)), [17, 230]);
    expect(meter.result().usage).toMatchObject({ inputTokens: 11, serviceTier: 'priority' });
  });

  it('drops exactly the usage-only chunk when the client did not ask, for any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const meter = chatAdapter.meterStream(chatRequest(false));
        expect(feed(meter, bytes, cuts)).toBe(head + 'data: [DONE]\n\n');
        expect(meter.result()).toEqual({
          usage: {
            inputTokens: 11,
            cachedInputTokens: 4,
            cacheWriteTokens: 0,
            cacheWrite1hTokens: 0,
            outputTokens: 7,
            reasoningTokens: 2,
          },
          outputText: 'Héllo 😀',
          responseId: null,
          hostedCalls: {},
        });
      }),
      { numRuns: 300 },
    );
  });

  it('forwards every byte when the client asked for usage, and still records it', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const meter = chatAdapter.meterStream(chatRequest(true));
        expect(feed(meter, bytes, cuts)).toBe(stream);
        expect(meter.result().usage?.inputTokens).toBe(11);
      }),
      { numRuns: 200 },
    );
  });

  it('forwards a usage report on a chunk that still has choices, and records it', () => {
    const mixed = chunk(delta({ content: 'end' }, 'stop'), USAGE) + 'data: [DONE]\n\n';
    const meter = chatAdapter.meterStream(chatRequest(false));
    expect(feed(meter, enc.encode(mixed))).toBe(mixed);
    expect(meter.result().usage?.outputTokens).toBe(7);
    expect(meter.result().outputText).toBe('end');
  });

  it('keeps the last well-formed usage when a provider reports it on every chunk', () => {
    const s =
      chunk(delta({ content: 'a' }), { prompt_tokens: 11, completion_tokens: 1 }) +
      chunk(delta({ content: 'b' }), { prompt_tokens: 11, completion_tokens: 2 }) +
      chunk([], { prompt_tokens: 'broken' });
    const meter = chatAdapter.meterStream(chatRequest(false));
    expect(feed(meter, enc.encode(s))).toBe(s.slice(0, s.lastIndexOf('data: ')));
    expect(meter.result().usage?.outputTokens).toBe(2);
  });

  it('forwards malformed JSON untouched and keeps metering', () => {
    const s = 'data: {"choices": [\n\n' + chunk(delta({ content: 'ok' })) + 'data: [DONE]\n\n';
    const meter = chatAdapter.meterStream(chatRequest(false));
    expect(feed(meter, enc.encode(s), [3, 9])).toBe(s);
    expect(meter.result()).toEqual({ usage: null, outputText: 'ok', responseId: null, hostedCalls: {} });
  });

  it('accumulates tool-call names and arguments, refusals and reasoning text', () => {
    const s =
      chunk(delta({ reasoning_content: 'think ' })) +
      chunk(
        delta({
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        }),
      ) +
      chunk(delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] })) +
      chunk(delta({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] })) +
      chunk(delta({ refusal: ' no' })) +
      chunk([{ index: 1, delta: { content: ' second choice' } }]);
    const meter = chatAdapter.meterStream(chatRequest(true));
    feed(meter, enc.encode(s));
    expect(meter.result().outputText).toBe('think get_weather{"city":"Paris"} no second choice');
  });

  it('returns no usage and the partial text for a cut stream, forwarding the unterminated tail', () => {
    const cut = head.slice(0, head.indexOf('lo 😀') + 3);
    const meter = chatAdapter.meterStream(chatRequest(false));
    expect(feed(meter, enc.encode(cut), [20, 90])).toBe(cut);
    expect(meter.result()).toEqual({ usage: null, outputText: 'Hél', responseId: null, hostedCalls: {} });
  });

  it('never drops an unterminated usage chunk (the client parser would discard it anyway)', () => {
    const tail = usageEvent.trimEnd();
    const meter = chatAdapter.meterStream(chatRequest(false));
    expect(feed(meter, enc.encode(tail))).toBe(tail);
    expect(meter.result().usage?.inputTokens).toBe(11);
  });
});

describe('completions stream meter', () => {
  const text = (t: string) =>
    ev({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 1,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ index: 0, text: t, logprobs: null, finish_reason: null }],
    });
  const usage = ev({
    id: 'cmpl-1',
    object: 'text_completion',
    created: 1,
    model: 'gpt-3.5-turbo-instruct',
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
  const s = text('Hello') + text(' world') + usage + 'data: [DONE]\n\n';
  const request = (includeUsage: boolean) =>
    parseCompletions({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Say',
      stream: true,
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
    });

  it('hides the usage chunk like chat and reads choices[].text', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        const meter = completionsAdapter.meterStream(request(false));
        expect(feed(meter, enc.encode(s), cuts)).toBe(s.replace(usage, ''));
        expect(meter.result()).toEqual({
          usage: {
            inputTokens: 3,
            cachedInputTokens: 0,
            cacheWriteTokens: 0,
            cacheWrite1hTokens: 0,
            outputTokens: 2,
            reasoningTokens: 0,
          },
          outputText: 'Hello world',
          responseId: null,
          hostedCalls: {},
        });
      }),
      { numRuns: 100 },
    );
  });

  it('forwards everything when the client asked for usage', () => {
    const meter = completionsAdapter.meterStream(request(true));
    expect(feed(meter, enc.encode(s))).toBe(s);
  });
});
