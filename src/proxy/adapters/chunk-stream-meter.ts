// Stream meter for chat completions and legacy completions (the OpenAI stream format:
// `data: <chunk JSON>` events ending with `data: [DONE]`). Forwards every event's bytes as
// received; the only event it ever drops is the usage-only chunk (non-null `usage`, empty
// `choices`) when runcap asked for it and the client did not (docs/design.md §8). Records the usage and
// the generated text for cut-stream estimates. Never rewrites an event, never throws on input.
import type { StreamMeter, StreamResult } from '../adapter.js';
import type { Usage } from '../../pricing/types.js';
import { createSseSplitter, type SseEvent } from '../sse.js';
import { usageFromChat, withServedTier } from '../usage.js';
import { isRecord } from './body-fields.js';
import { joinBytes } from './meter-bytes.js';

/** Appends the generated text of one `choices[]` element to `out`. */
export type ChoiceTextReader = (choice: Record<string, unknown>, out: string[]) => void;

export interface ChunkMeterOptions {
  /** Drop the usage-only chunk: the client did not ask for usage, runcap did. */
  readonly hideUsageChunk: boolean;
  readonly readChoiceText: ChoiceTextReader;
}

/** Parses an event's data as a JSON object; null for non-JSON, arrays, scalars or `[DONE]`. */
export function parseDataObject(data: string | null): Record<string, unknown> | null {
  if (data === null || data === '[DONE]') return null;
  try {
    const value: unknown = JSON.parse(data);
    return isRecord(value) ? value : null;
  } catch {
    return null; // malformed JSON: the event is forwarded untouched and otherwise ignored
  }
}

export function createChunkStreamMeter(options: ChunkMeterOptions): StreamMeter {
  const splitter = createSseSplitter();
  const text: string[] = [];
  let usage: Usage | null = null;
  let servedTier: unknown = null;

  /** Reads one event; returns whether to forward it. */
  function meter(event: SseEvent): boolean {
    const chunk = parseDataObject(event.data);
    if (chunk === null) return true;
    const rawUsage = chunk['usage'];
    const hasUsage = rawUsage !== undefined && rawUsage !== null;
    if (hasUsage) usage = usageFromChat(rawUsage) ?? usage; // the last well-formed report wins
    if (typeof chunk['service_tier'] === 'string') servedTier = chunk['service_tier'];
    const choices = chunk['choices'];
    if (Array.isArray(choices)) {
      for (const choice of choices) if (isRecord(choice)) options.readChoiceText(choice, text);
    }
    const usageOnly = hasUsage && (choices === undefined || (Array.isArray(choices) && choices.length === 0));
    // An unterminated tail is never dropped: the client's parser will discard it anyway.
    return !(options.hideUsageChunk && usageOnly && event.complete);
  }

  const forward = (events: SseEvent[]): Uint8Array => joinBytes(events.filter(meter).map((event) => event.raw));

  return {
    push: (chunk) => forward(splitter.push(chunk)),
    flush: () => forward(splitter.flush()),
    result: (): StreamResult => ({
      usage: withServedTier(usage, servedTier),
      outputText: text.join(''),
      responseId: null,
      hostedCalls: {},
    }),
  };
}

/** Pushes `value` when it is a non-empty string. */
export function pushText(out: string[], value: unknown): void {
  if (typeof value === 'string' && value !== '') out.push(value);
}
