// What a real provider adds to a call's bill from its own side, for the fake upstream: stored
// conversations, prompt templates, items and files are billed by their stored size (never by
// the few bytes of their reference); hosted tool calls re-read the whole context once each and
// add their results, and are invoiced per call besides the tokens; batch prompts each generate;
// rejected prediction tokens count as output. Test-only; pure functions of the request and state.
import type { Json } from './fake-openai-bodies.js';

export interface ProviderSide {
  /** Conversation id -> tokens of its items (grows by each response's input and output). */
  readonly conversations: Map<string, number>;
  /** Stored prompt template id -> tokens. */
  readonly prompts: Map<string, number>;
  /** Stored item id (item_reference) -> tokens. */
  readonly items: Map<string, number>;
  /** File id, file URL or inline file name -> tokens the provider extracts (text + page images). */
  readonly files: Map<string, number>;
  /** Hosted tool calls the model makes when it may (max_tool_calls caps them). */
  hostedToolCalls: number;
  /** Tokens each hosted call adds to the context (search results, file chunks, logs). */
  resultTokensPerCall: number;
}

export function createProviderSide(): ProviderSide {
  return {
    conversations: new Map(),
    prompts: new Map(),
    items: new Map(),
    files: new Map(),
    hostedToolCalls: 0,
    resultTokensPerCall: 0,
  };
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function conversationId(body: Json): string | null {
  const conversation = body['conversation'];
  if (typeof conversation === 'string') return conversation;
  return isRecord(conversation) && typeof conversation['id'] === 'string' ? conversation['id'] : null;
}

/** Tokens of a file part, looked up by id, URL or (inline) file name; 0 when the fake does not know it. */
function fileTokens(file: Json, side: ProviderSide): number {
  for (const key of ['file_id', 'file_url', 'filename']) {
    const name = file[key];
    if (typeof name === 'string' && side.files.has(name)) return side.files.get(name) ?? 0;
  }
  return 0;
}

/** Every content part (chat messages, Responses input items), including the items themselves. */
function* parts(body: Json): Generator<Json> {
  const lists = [body['messages'], body['input']];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item)) continue;
      yield item;
      if (Array.isArray(item['content'])) for (const part of item['content']) if (isRecord(part)) yield part;
    }
  }
}

/** Input tokens the provider adds from its own side, once (before any hosted-tool re-reads). */
export function sideInputTokens(body: Json, side: ProviderSide): number {
  let tokens = 0;
  const conversation = conversationId(body);
  if (conversation !== null) tokens += side.conversations.get(conversation) ?? 0;
  const prompt = body['prompt'];
  if (isRecord(prompt) && typeof prompt['id'] === 'string') tokens += side.prompts.get(prompt['id']) ?? 0;
  for (const part of parts(body)) {
    const untypedReference = part['type'] === undefined && part['role'] === undefined;
    if ((part['type'] === 'item_reference' || untypedReference) && typeof part['id'] === 'string') {
      tokens += side.items.get(part['id']) ?? 0;
    }
    if (part['type'] === 'input_file') tokens += fileTokens(part, side);
    if (part['type'] === 'file' && isRecord(part['file'])) tokens += fileTokens(part['file'], side);
  }
  return tokens;
}

/** The output item each hosted tool leaves per call (what the provider invoices by). */
export const CALL_ITEM: Readonly<Record<string, string>> = {
  web_search: 'web_search_call',
  web_search_preview: 'web_search_call',
  file_search: 'file_search_call',
  code_interpreter: 'code_interpreter_call',
  image_generation: 'image_generation_call',
  mcp: 'mcp_call',
};

/** The hosted tool calls a Responses request gets: one per call, cycling through its hosted tools. */
export function hostedCalls(body: Json, side: ProviderSide): { readonly type: string; readonly tool: string }[] {
  const tools = Array.isArray(body['tools']) ? body['tools'].filter(isRecord) : [];
  const hosted = tools.map((tool) => String(tool['type'])).filter((type) => CALL_ITEM[type] !== undefined);
  if (hosted.length === 0) return [];
  const limit = typeof body['max_tool_calls'] === 'number' ? body['max_tool_calls'] : Number.POSITIVE_INFINITY;
  const count = Math.min(side.hostedToolCalls, limit);
  return Array.from({ length: count }, (_, i) => {
    const tool = hosted[i % hosted.length] as string;
    return { tool, type: CALL_ITEM[tool] as string };
  });
}

/** Input billed over a response with `calls` hosted calls: every step re-reads the context so far. */
export function steppedInputTokens(baseTokens: number, calls: number, side: ProviderSide): number {
  let total = 0;
  for (let step = 0; step <= calls; step += 1) total += baseTokens + step * side.resultTokensPerCall;
  return total;
}

/** After a response in a conversation: its own input items and its output are appended to the conversation. */
export function rememberConversation(body: Json, ownInputTokens: number, outputTokens: number, side: ProviderSide) {
  const conversation = conversationId(body);
  if (conversation !== null) {
    side.conversations.set(conversation, (side.conversations.get(conversation) ?? 0) + ownInputTokens + outputTokens);
  }
}

/** Legacy completions: each prompt of a batch is a separate generation (string or token-id arrays). */
export function promptCount(prompt: unknown): number {
  if (!Array.isArray(prompt) || prompt.length === 0) return 1;
  return typeof prompt[0] === 'number' ? 1 : prompt.length;
}

/**
 * Chat predicted outputs: the tokens of the prediction the completion did not use are billed as
 * output. The fake rejects the whole prediction (the worst case), counting it a token per word.
 */
export function rejectedPredictionTokens(body: Json): number {
  const prediction = body['prediction'];
  if (!isRecord(prediction)) return 0;
  const content = prediction['content'];
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((part: unknown) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
            .join(' ')
        : '';
  return text.split(/\s+/).filter((word) => word !== '').length;
}
