// Wire-format builders for the fake upstream: OpenAI JSON responses and stream events for
// chat completions, the Responses API, legacy completions and embeddings, shaped like the
// real API (OpenAI API reference: object shapes; "Streaming events"; the chat chunk object)
// so the official SDK parses them. Pure functions of a planned reply; no I/O.

export interface ReplyPlan {
  readonly id: string;
  readonly model: string;
  readonly created: number;
  /** Generated text pieces, one per content chunk (already split). */
  readonly pieces: readonly string[];
  /** How many choices (chat `n`, completions `n`); 1 for the Responses API. */
  readonly choices: number;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  /** Billed output across all choices/candidates, reasoning included. */
  readonly completionTokens: number;
  readonly reasoningTokens: number;
  /** The cap cut the output short. */
  readonly truncated: boolean;
  /** Omit usage from the reply. */
  readonly noUsage: boolean;
  /** The `service_tier` the reply reports it was served at. */
  readonly serviceTier: string;
  /** Chat predicted outputs: prediction tokens not used, billed inside completionTokens. */
  readonly rejectedPredictionTokens: number;
  /** Responses: hosted tool calls made before the message, as output items of these types. */
  readonly hostedCalls: readonly { readonly type: string; readonly tool: string }[];
  /** Answer with one call of this tool (fresh call ids every time, as a real model mints) instead of text. */
  readonly toolCall: ToolCall | null;
}

/**
 * A tool call the model answers with: a `function` tool's JSON arguments, or a Responses
 * `custom` tool's free-form input (the Codex CLI's `exec` tool takes JavaScript). Chat has
 * function tools only.
 */
export interface ToolCall {
  readonly kind: 'function' | 'custom';
  readonly name: string;
  readonly arguments: string;
  /** The namespace of a namespaced tool (the Codex CLI groups its tools: `collaboration`, ...). */
  readonly namespace?: string;
}

export type Json = Record<string, unknown>;

/**
 * Tokens as the provider bills them: `inputTokens` is all the input (cache reads and writes
 * included), `cachedTokens` the cache reads, the cache writes are Anthropic's (5-minute and
 * 1-hour; 0 for OpenAI), `outputTokens` includes reasoning.
 */
export interface ServedUsage {
  readonly inputTokens: number;
  readonly cachedTokens: number;
  readonly cacheWrite5mTokens: number;
  readonly cacheWrite1hTokens: number;
  readonly outputTokens: number;
}

const text = (plan: ReplyPlan): string => plan.pieces.join('');
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function chatUsage(plan: ReplyPlan): Json {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: plan.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: plan.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: plan.rejectedPredictionTokens,
    },
  };
}

export function responsesUsage(plan: ReplyPlan): Json {
  return {
    input_tokens: plan.promptTokens,
    input_tokens_details: { cached_tokens: plan.cachedTokens },
    output_tokens: plan.completionTokens,
    output_tokens_details: { reasoning_tokens: plan.reasoningTokens },
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}

// --- chat completions -------------------------------------------------------------------

export function chatCompletion(plan: ReplyPlan): Json {
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: range(plan.choices).map((index) => ({
      index,
      message:
        plan.toolCall === null
          ? { role: 'assistant', content: text(plan), refusal: null, annotations: [] }
          : {
              role: 'assistant',
              content: null,
              refusal: null,
              annotations: [],
              tool_calls: [
                {
                  id: `call_${plan.id}_${index}`,
                  type: 'function',
                  function: { name: plan.toolCall.name, arguments: plan.toolCall.arguments },
                },
              ],
            },
      logprobs: null,
      finish_reason: plan.toolCall !== null ? 'tool_calls' : plan.truncated ? 'length' : 'stop',
    })),
    ...(plan.noUsage ? {} : { usage: chatUsage(plan) }),
    service_tier: plan.serviceTier,
    system_fingerprint: 'fp_fake',
  };
}

/** The chunks of a chat stream, in order, without the final `[DONE]`. `usage` adds `usage: null` + the usage chunk. */
export function chatChunks(
  plan: ReplyPlan,
  includeUsage: boolean,
): { readonly chunk: Json; readonly content: boolean }[] {
  const make = (choices: Json[], usage?: Json): Json => ({
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    service_tier: plan.serviceTier,
    system_fingerprint: 'fp_fake',
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choice = (index: number, delta: Json, finish: string | null = null): Json => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const out: { chunk: Json; content: boolean }[] = [];
  for (const i of range(plan.choices)) {
    out.push({ chunk: make([choice(i, { role: 'assistant', content: '', refusal: null })]), content: false });
  }
  for (const piece of plan.pieces) {
    for (const i of range(plan.choices)) out.push({ chunk: make([choice(i, { content: piece })]), content: true });
  }
  for (const i of range(plan.choices)) {
    out.push({ chunk: make([choice(i, {}, plan.truncated ? 'length' : 'stop')]), content: false });
  }
  if (includeUsage && !plan.noUsage) out.push({ chunk: make([], chatUsage(plan)), content: false });
  return out;
}

// --- legacy completions -----------------------------------------------------------------

export function textCompletion(plan: ReplyPlan): Json {
  return {
    id: plan.id,
    object: 'text_completion',
    created: plan.created,
    model: plan.model,
    choices: range(plan.choices).map((index) => ({
      text: text(plan),
      index,
      logprobs: null,
      finish_reason: plan.truncated ? 'length' : 'stop',
    })),
    ...(plan.noUsage ? {} : { usage: chatUsage(plan) }),
    system_fingerprint: 'fp_fake',
  };
}

export function completionChunks(
  plan: ReplyPlan,
  includeUsage: boolean,
): { readonly chunk: Json; readonly content: boolean }[] {
  const make = (choices: Json[], usage?: Json): Json => ({
    id: plan.id,
    object: 'text_completion',
    created: plan.created,
    model: plan.model,
    choices,
    ...(usage === undefined ? {} : { usage }),
  });
  const choice = (index: number, t: string, finish: string | null): Json => ({
    text: t,
    index,
    logprobs: null,
    finish_reason: finish,
  });
  const out: { chunk: Json; content: boolean }[] = [];
  for (const piece of plan.pieces) {
    for (const i of range(plan.choices)) out.push({ chunk: make([choice(i, piece, null)]), content: true });
  }
  for (const i of range(plan.choices)) {
    out.push({ chunk: make([choice(i, '', plan.truncated ? 'length' : 'stop')]), content: false });
  }
  if (includeUsage && !plan.noUsage) out.push({ chunk: make([], chatUsage(plan)), content: false });
  return out;
}

// --- Responses API ----------------------------------------------------------------------

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

/** One hosted tool call's output item (web_search_call, code_interpreter_call, ...). */
export function hostedCallItem(plan: ReplyPlan, index: number): Json {
  const call = plan.hostedCalls[index] ?? { type: 'web_search_call', tool: 'web_search' };
  const base = { id: `htc_${index}_${plan.id.slice(5)}`, type: call.type, status: 'completed' };
  if (call.type === 'web_search_call') return { ...base, action: { type: 'search', query: `query ${index}` } };
  if (call.type === 'code_interpreter_call') {
    return { ...base, code: 'print(1)', container_id: `cntr_${plan.id.slice(5)}`, outputs: null };
  }
  if (call.type === 'file_search_call') return { ...base, queries: [`query ${index}`], results: null };
  return base;
}

export function responseObject(plan: ReplyPlan, request: Json, status: ResponseStatus): Json {
  const messageId = `msg_${plan.id.slice(5)}`;
  const done = status !== 'in_progress';
  const calls = range(plan.hostedCalls.length).map((i) => hostedCallItem(plan, i));
  return {
    id: plan.id,
    object: 'response',
    created_at: plan.created,
    status,
    background: false,
    service_tier: plan.serviceTier,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: request['instructions'] ?? null,
    max_output_tokens: request['max_output_tokens'] ?? null,
    model: plan.model,
    output: !done
      ? []
      : plan.toolCall !== null
        ? [...calls, toolCallItem(plan, plan.toolCall, 'completed')]
        : [
            ...calls,
            {
              id: messageId,
              type: 'message',
              status: status === 'completed' ? 'completed' : 'incomplete',
              role: 'assistant',
              content: [{ type: 'output_text', text: text(plan), annotations: [], logprobs: [] }],
            },
          ],
    parallel_tool_calls: true,
    previous_response_id: request['previous_response_id'] ?? null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: done && !plan.noUsage ? responsesUsage(plan) : null,
    user: null,
    metadata: {},
  };
}

/** `text` in at most `parts` consecutive non-empty pieces (one piece at least). */
function splitEvenly(text: string, parts: number): string[] {
  const count = Math.max(1, Math.min(parts, text.length));
  return range(count).map((i) =>
    text.slice(Math.floor((i * text.length) / count), Math.floor(((i + 1) * text.length) / count)),
  );
}

/** The output item of a Responses tool call: `function_call` (arguments) or `custom_tool_call` (input). */
function toolCallItem(plan: ReplyPlan, call: ToolCall, status: 'in_progress' | 'completed', filled = true): Json {
  const at = {
    id: `${call.kind === 'custom' ? 'ctc' : 'fc'}_${plan.id.slice(5)}`,
    status,
    call_id: `call_${plan.id.slice(5)}`,
    ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
  };
  const value = filled ? call.arguments : '';
  return call.kind === 'custom'
    ? { ...at, type: 'custom_tool_call', name: call.name, input: value }
    : { ...at, type: 'function_call', name: call.name, arguments: value };
}

/** The events of a Responses stream, in order, each `{type, ...}` with its sequence number. */
export function responseEvents(
  plan: ReplyPlan,
  request: Json,
  terminal: 'completed' | 'incomplete',
): { readonly event: Json; readonly content: boolean }[] {
  const itemId = `msg_${plan.id.slice(5)}`;
  const messageIndex = plan.hostedCalls.length;
  const at = { item_id: itemId, output_index: messageIndex, content_index: 0 };
  const all = text(plan);
  const events: { event: Json; content: boolean }[] = [];
  const add = (type: string, body: Json, content = false): void => {
    events.push({ event: { type, sequence_number: events.length, ...body }, content });
  };
  add('response.created', { response: responseObject(plan, request, 'in_progress') });
  add('response.in_progress', { response: responseObject(plan, request, 'in_progress') });
  for (const index of range(plan.hostedCalls.length)) {
    const item = hostedCallItem(plan, index);
    add('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress' } });
    add('response.output_item.done', { output_index: index, item });
  }
  if (plan.toolCall !== null) {
    // A tool call streams its arguments (or a custom tool's input) where a message streams text.
    const call = plan.toolCall;
    const added = toolCallItem(plan, call, 'in_progress', false);
    const where = { item_id: added['id'], output_index: messageIndex };
    const kind = call.kind === 'custom' ? 'custom_tool_call_input' : 'function_call_arguments';
    add('response.output_item.added', { output_index: messageIndex, item: added });
    for (const piece of splitEvenly(call.arguments, plan.pieces.length))
      add(`response.${kind}.delta`, { ...where, delta: piece }, true);
    add(`response.${kind}.done`, { ...where, [call.kind === 'custom' ? 'input' : 'arguments']: call.arguments });
    add('response.output_item.done', { output_index: messageIndex, item: toolCallItem(plan, call, 'completed') });
    add(`response.${terminal}`, { response: responseObject(plan, request, terminal) });
    return events;
  }
  add('response.output_item.added', {
    output_index: messageIndex,
    item: { id: itemId, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
  });
  add('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
  for (const piece of plan.pieces) add('response.output_text.delta', { ...at, delta: piece, logprobs: [] }, true);
  add('response.output_text.done', { ...at, text: all, logprobs: [] });
  const part = { type: 'output_text', text: all, annotations: [], logprobs: [] };
  add('response.content_part.done', { ...at, part });
  const itemStatus = terminal === 'completed' ? 'completed' : 'incomplete';
  add('response.output_item.done', {
    output_index: messageIndex,
    item: { id: itemId, type: 'message', status: itemStatus, role: 'assistant', content: [part] },
  });
  add(`response.${terminal}`, { response: responseObject(plan, request, terminal) });
  return events;
}

// --- embeddings -------------------------------------------------------------------------

/** Number of inputs in an embeddings `input` (string, string[], number[], number[][]). */
export function embeddingInputs(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  return input.length > 0 && typeof input[0] === 'number' ? 1 : input.length;
}

export function embeddingList(plan: ReplyPlan, inputs: number, dimensions: number, base64: boolean): Json {
  return {
    object: 'list',
    data: range(inputs).map((index) => {
      const vector = range(dimensions).map((d) => Math.round(Math.sin(index + d + 1) * 1000) / 1000);
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    }),
    model: plan.model,
    ...(plan.noUsage ? {} : { usage: { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens } }),
  };
}
