// Stream meter for the Anthropic Messages event stream (Anthropic API reference "Streaming
// Messages": `event: <type>` + `data: <JSON with the same "type">`; message_start, then per block
// content_block_start / content_block_delta... / content_block_stop, ping at any point,
// message_delta, message_stop, or `error`). Forwards every event untouched and never drops one.
// Reads the input side of the usage from message_start, the cumulative usage from message_delta
// (which comes once, after the last block: the stream's final count), and the generated text of
// the deltas (text, tool input JSON, thinking) for cut-stream estimates, which take their input
// side from message_start.
import type { StreamMeter, StreamResult } from '../adapter.js';
import { createSseSplitter, type SseEvent } from '../sse.js';
import { usageFromAnthropic } from '../usage.js';
import { isRecord } from './body-fields.js';
import { parseDataObject, pushText } from './chunk-stream-meter.js';
import { joinBytes } from './meter-bytes.js';
import { serverToolCalls } from './server-tools.js';

export function createMessagesStreamMeter(): StreamMeter {
  const splitter = createSseSplitter();
  const text: string[] = [];
  /** The usage fields seen so far: message_start's, overwritten field by field by message_delta's. */
  let fields: Record<string, unknown> | null = null;
  let final = false;

  function meter(event: SseEvent): void {
    const data = parseDataObject(event.data);
    if (data === null) return;
    const type = typeof data['type'] === 'string' ? data['type'] : event.event;
    switch (type) {
      case 'message_start': {
        const message = data['message'];
        if (isRecord(message) && isRecord(message['usage'])) fields = { ...message['usage'] };
        return;
      }
      case 'content_block_start': {
        const block = data['content_block'];
        if (isRecord(block)) pushText(text, block['name']); // tool_use / server_tool_use
        return;
      }
      case 'content_block_delta': {
        const delta = data['delta'];
        if (!isRecord(delta)) return;
        pushText(text, delta['text']);
        pushText(text, delta['partial_json']);
        pushText(text, delta['thinking']);
        return;
      }
      case 'message_delta': {
        const usage = data['usage'];
        if (!isRecord(usage)) return;
        fields = { ...fields, ...withoutNulls(usage) };
        final = true;
        return;
      }
      default:
      // ping, content_block_stop, message_stop: nothing to read. `error` ends the stream
      // without a final usage: it is settled like any stream without usage.
    }
  }

  const forward = (events: SseEvent[]): Uint8Array => {
    for (const event of events) meter(event);
    return joinBytes(events.map((event) => event.raw));
  };

  return {
    push: (chunk) => forward(splitter.push(chunk)),
    flush: () => forward(splitter.flush()),
    result: (): StreamResult => ({
      usage: final ? usageFromAnthropic(fields) : null,
      // Before message_delta, output_tokens is message_start's placeholder: only the input side counts.
      inputUsage: fields === null ? null : usageFromAnthropic({ ...fields, output_tokens: 0 }),
      outputText: text.join(''),
      responseId: null,
      hostedCalls: serverToolCalls(fields),
    }),
  };
}

/** message_delta may send null for a count it does not repeat: keep message_start's then. */
function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== null && value !== undefined) copy[key] = value;
  return copy;
}
