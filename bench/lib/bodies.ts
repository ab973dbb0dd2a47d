// Realistic OpenAI chat bodies for the benchmarks: a ~1 KB small request and
// response, SSE chunks of a streamed answer, and resend-everything agent-loop
// histories. Shapes follow the OpenAI API reference ("Create chat completion",
// "The chat completion chunk object"). Pure.
import { createRng, proseText, seedOf } from './text.js';

export const BENCH_MODEL = 'gpt-4o-mini';

/** Replaced by a unique id per request by the load generators (autocannon's idReplacement syntax). */
export const UNIQUE_MARKER = '[<id>]';

/**
 * A typical small chat call: a shared system prompt + one user turn, ~1 KB of JSON. By
 * default the user turn starts with UNIQUE_MARKER, so every call carries never-seen text
 * (as real traffic does) while the system prompt is the same for all; `seen: true` sends the
 * same body every time (its text counted before); `userChars` sizes the user turn (530).
 */
export function smallChatRequest(options: {
  stream: boolean;
  salt?: string;
  seen?: boolean;
  userChars?: number;
}): string {
  const rng = createRng(seedOf(`small:${options.salt ?? ''}`));
  const turn = proseText(rng, options.userChars ?? 530);
  return JSON.stringify({
    model: BENCH_MODEL,
    messages: [
      { role: 'system', content: `You are a concise assistant for an engineering team. ${proseText(rng, 260)}` },
      { role: 'user', content: options.seen === true ? turn : `${UNIQUE_MARKER} ${turn}` },
    ],
    temperature: 0.2,
    max_completion_tokens: 256,
    ...(options.stream ? { stream: true } : {}),
  });
}

/** A ~1 KB non-streaming chat.completion with usage. */
export function chatCompletionResponse(promptTokens: number): string {
  const rng = createRng(seedOf('answer'));
  const content = proseText(rng, 640);
  return JSON.stringify({
    id: 'chatcmpl-BENCH0000000000000000000000',
    object: 'chat.completion',
    created: 1_764_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: 142,
      total_tokens: promptTokens + 142,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_bench00000',
  });
}

function chunk(delta: Record<string, unknown>, finishReason: string | null, usage?: Record<string, unknown>): string {
  const body = {
    id: 'chatcmpl-BENCH0000000000000000000000',
    object: 'chat.completion.chunk',
    created: 1_764_000_000,
    model: 'gpt-4o-mini-2024-07-18',
    service_tier: 'default',
    system_fingerprint: 'fp_bench00000',
    choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(usage ? { usage } : { usage: null }),
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** The SSE events of a streamed answer of `count` content chunks (role first, finish, optional usage, [DONE]). */
export function streamEvents(count: number, promptTokens: number, includeUsage: boolean): readonly string[] {
  const rng = createRng(seedOf('stream'));
  const events = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (let index = 0; index < count; index += 1) events.push(chunk({ content: ` ${proseText(rng, 4).trim()}` }, null));
  events.push(chunk({}, 'stop'));
  if (includeUsage) {
    events.push(
      chunk({}, null, { prompt_tokens: promptTokens, completion_tokens: count, total_tokens: promptTokens + count }),
    );
  }
  events.push('data: [DONE]\n\n');
  return events;
}

export interface AgentMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  readonly tool_call_id?: string;
}

/**
 * One agent run's conversation, resend-everything style: step s sends the system
 * prompt, the task, and for every earlier step an assistant turn plus a tool result.
 * `newCharsPerStep` sets how fast the context grows (~4.5 chars a token).
 * Every text is unique to `seed`, so no two runs share a cache entry.
 */
export function agentRunBodies(seed: string, steps: number, newCharsPerStep: number): readonly string[] {
  const rng = createRng(seedOf(seed));
  const messages: AgentMessage[] = [
    { role: 'system', content: `You are a coding agent (${seed}). ${proseText(rng, 1_200)}` },
    { role: 'user', content: proseText(rng, 400) },
  ];
  const bodies: string[] = [];
  for (let step = 0; step < steps; step += 1) {
    if (step > 0) {
      messages.push({ role: 'assistant', content: proseText(rng, 300) });
      messages.push({ role: 'user', content: `Tool output (step ${step}):\n${proseText(rng, newCharsPerStep - 300)}` });
    }
    bodies.push(JSON.stringify({ model: BENCH_MODEL, messages, max_completion_tokens: 1024 }));
  }
  return bodies;
}

/** One never-seen request of about `chars` characters of context (the event-loop stall probe). */
export function largeContextRequest(seed: string, chars: number): string {
  const rng = createRng(seedOf(seed));
  return JSON.stringify({
    model: BENCH_MODEL,
    messages: [
      { role: 'system', content: 'Summarise the document.' },
      { role: 'user', content: proseText(rng, chars) },
    ],
    max_completion_tokens: 512,
  });
}
