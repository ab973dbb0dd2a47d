// Stream meter for the Responses API event stream (`event: <type>` + `data: <JSON with the
// same "type">`, OpenAI API reference "Streaming events"). Forwards every event untouched and
// never drops one. Reads usage from the terminal events response.completed / .incomplete /
// .failed (their `response.usage`), the response id from response.created and the terminal
// event, generated text from the `*.delta` events for cut-stream estimates, and the hosted tool
// calls from `response.output_item.added` (a cut stream counts every call that started).
import type { StreamMeter, StreamResult } from '../adapter.js';
import type { Usage } from '../../pricing/types.js';
import { createSseSplitter, type SseEvent } from '../sse.js';
import { usageFromResponses, withServedTier } from '../usage.js';
import { isRecord } from './body-fields.js';
import { parseDataObject } from './chunk-stream-meter.js';
import { countHostedCall, hostedCallsOf } from './hosted-tools.js';
import { joinBytes } from './meter-bytes.js';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);
const WITH_RESPONSE = new Set(['response.created', 'response.in_progress', 'response.queued', ...TERMINAL]);
/** Deltas that carry encoded media rather than generated text. */
const NOT_TEXT = new Set(['response.audio.delta']);

export function createResponsesStreamMeter(): StreamMeter {
  const splitter = createSseSplitter();
  const text: string[] = [];
  let usage: Usage | null = null;
  let responseId: string | null = null;
  let servedTier: unknown = null;
  const hostedCalls: Record<string, number> = {};

  function meter(event: SseEvent): void {
    const data = parseDataObject(event.data);
    if (data === null) return;
    const type = typeof data['type'] === 'string' ? data['type'] : event.event;
    if (type === null) return;
    if (WITH_RESPONSE.has(type)) {
      const response = data['response'];
      if (!isRecord(response)) return;
      if (typeof response['id'] === 'string' && response['id'] !== '') responseId = response['id'];
      if (typeof response['service_tier'] === 'string') servedTier = response['service_tier'];
      if (TERMINAL.has(type)) {
        usage = usageFromResponses(response['usage']) ?? usage;
        // The terminal response lists every output item: count from it (never fewer than seen).
        const listed = hostedCallsOf(response['output']);
        for (const [item, calls] of Object.entries(listed)) hostedCalls[item] = Math.max(hostedCalls[item] ?? 0, calls);
      }
      return;
    }
    if (type === 'response.output_item.added') countHostedCall(hostedCalls, data['item']);
    // Output text, refusals, function-call / custom-tool arguments, code, reasoning text: every
    // `response.<...>.delta` event with a string delta is text the model generated.
    const delta = data['delta'];
    if (type.endsWith('.delta') && !NOT_TEXT.has(type) && typeof delta === 'string' && delta !== '') {
      text.push(delta);
    }
    // `error` ends the stream without usage: nothing to record.
  }

  const forward = (events: SseEvent[]): Uint8Array => {
    for (const event of events) meter(event);
    return joinBytes(events.map((event) => event.raw));
  };

  return {
    push: (chunk) => forward(splitter.push(chunk)),
    flush: () => forward(splitter.flush()),
    result: (): StreamResult => ({
      usage: withServedTier(usage, servedTier),
      outputText: text.join(''),
      responseId,
      hostedCalls: { ...hostedCalls },
    }),
  };
}
