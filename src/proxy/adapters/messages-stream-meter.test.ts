// The Anthropic Messages stream meter, fed the real event sequence in random chunk boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamMeter } from '../adapter.js';
import { createMessagesStreamMeter } from './messages-stream-meter.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

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

const ev = (data: Record<string, unknown>): string =>
  `event: ${String(data['type'])}\ndata: ${JSON.stringify(data)}\n\n`;
const start = ev({
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    content: [],
    model: 'claude-sonnet-4-5',
    usage: {
      input_tokens: 12,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 500,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
      output_tokens: 1,
    },
  },
});
const blocks = [
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me think.' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } }),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'ping' }),
  ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Héllo 😀' } }),
  ev({ type: 'content_block_stop', index: 1 }),
  ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 't', name: 'ls', input: {} } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"path":' } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '"."}' } }),
  ev({ type: 'content_block_stop', index: 2 }),
].join('');
const end =
  ev({
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { output_tokens: 87, server_tool_use: { web_search_requests: 2 } },
  }) + ev({ type: 'message_stop' });

const usage = {
  inputTokens: 12 + 500 + 1000 + 2000,
  cachedInputTokens: 500,
  cacheWriteTokens: 1000,
  cacheWrite1hTokens: 2000,
  outputTokens: 87,
  reasoningTokens: 0,
};

describe('Messages stream meter', () => {
  it('forwards every byte and reads message_start + message_delta usage, for any chunking', () => {
    const whole = start + blocks + end;
    const bytes = enc.encode(whole);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const meter = createMessagesStreamMeter();
        expect(feed(meter, bytes, cuts)).toBe(whole);
        const result = meter.result();
        expect(result.usage).toEqual(usage);
        expect(result.outputText).toBe('Let me think.Héllo 😀ls{"path":"."}');
        expect(result.hostedCalls).toEqual({ web_search_requests: 2 });
      }),
      { numRuns: 300 },
    );
  });

  it('reports no final usage for a cut stream, but the input side message_start gave', () => {
    const meter = createMessagesStreamMeter();
    feed(meter, enc.encode(start + blocks.slice(0, 400)), [33, 250]);
    const result = meter.result();
    expect(result.usage).toBeNull();
    expect(result.inputUsage).toEqual({ ...usage, outputTokens: 0 });
    expect(result.outputText.startsWith('Let me think.')).toBe(true);
  });

  it('reports no usage for a stream ended by an error event', () => {
    const meter = createMessagesStreamMeter();
    const error = ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(feed(meter, enc.encode(start + error))).toBe(start + error);
    expect(meter.result().usage).toBeNull();
  });

  it('takes message_delta counts over message_start ones, keeping those it sends as null', () => {
    const meter = createMessagesStreamMeter();
    const delta = ev({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { input_tokens: 40, cache_read_input_tokens: null, output_tokens: 9 },
    });
    feed(meter, enc.encode(start + delta));
    expect(meter.result().usage).toEqual({ ...usage, inputTokens: 40 + 500 + 3000, outputTokens: 9 });
  });
});
