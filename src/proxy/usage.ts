// OpenAI usage objects -> runcap Usage. Defensive: anything malformed yields null
// ("no usage reported"), never NaN or a negative count; the caller then estimates.
// Shapes: chat/completions and legacy completions `usage`, Responses API `response.usage`,
// embeddings `usage` (OpenAI API reference, "The chat completion object" et al.).
import type { Usage } from '../pricing/types.js';

type Field = number | undefined;
const INVALID = -1;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A token count: a non-negative safe integer. Missing/null -> undefined; anything else invalid -> INVALID. */
function count(value: unknown): Field {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : INVALID;
}

/** An optional `*_details.<key>` count: absent or null details count as 0. */
function detail(details: unknown, key: string): Field {
  if (details === undefined || details === null) return 0;
  if (!isRecord(details)) return INVALID;
  return count(details[key]) ?? 0;
}

function build(input: Field, cached: Field, output: Field, reasoning: Field): Usage | null {
  if (input === undefined || output === undefined) return null;
  if (input === INVALID || output === INVALID || cached === INVALID || reasoning === INVALID) return null;
  const cachedInputTokens = cached ?? 0;
  const reasoningTokens = reasoning ?? 0;
  // Cached tokens are part of the input and reasoning tokens part of the output (OpenAI
  // semantics); a report that contradicts that cannot be priced, so it counts as no usage.
  if (cachedInputTokens > input || reasoningTokens > output) return null;
  return {
    inputTokens: input,
    cachedInputTokens,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: output,
    reasoningTokens,
  };
}

/**
 * `usage` with the service tier the response reports it was served at (OpenAI `service_tier`
 * on the response object, a stream chunk, or a Responses `response`); unchanged when `tier`
 * is not a non-empty string.
 */
export function withServedTier(usage: Usage | null, tier: unknown): Usage | null {
  if (usage === null || typeof tier !== 'string' || tier === '') return usage;
  // Field by field: `{ ...usage, serviceTier }` costs ~1.3 µs on Node 20, this ~0.1.
  return {
    inputTokens: usage.inputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    cacheWriteTokens: usage.cacheWriteTokens,
    cacheWrite1hTokens: usage.cacheWrite1hTokens,
    outputTokens: usage.outputTokens,
    reasoningTokens: usage.reasoningTokens,
    serviceTier: tier,
  };
}

/**
 * Chat completions and legacy completions: `{prompt_tokens, completion_tokens, total_tokens,
 * prompt_tokens_details: {cached_tokens}, completion_tokens_details: {reasoning_tokens}}`.
 */
export function usageFromChat(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  return build(
    count(usage['prompt_tokens']),
    detail(usage['prompt_tokens_details'], 'cached_tokens'),
    count(usage['completion_tokens']),
    detail(usage['completion_tokens_details'], 'reasoning_tokens'),
  );
}

/**
 * Responses API: `{input_tokens, input_tokens_details: {cached_tokens}, output_tokens,
 * output_tokens_details: {reasoning_tokens}, total_tokens}`.
 */
export function usageFromResponses(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  return build(
    count(usage['input_tokens']),
    detail(usage['input_tokens_details'], 'cached_tokens'),
    count(usage['output_tokens']),
    detail(usage['output_tokens_details'], 'reasoning_tokens'),
  );
}

/** Embeddings: `{prompt_tokens, total_tokens}`; `total_tokens` stands in when `prompt_tokens` is missing. */
export function usageFromEmbeddings(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  const prompt = count(usage['prompt_tokens']);
  return build(prompt === undefined ? count(usage['total_tokens']) : prompt, 0, 0, 0);
}

/**
 * Anthropic Messages `usage` (a message's, or a stream's message_start and message_delta merged):
 * `{input_tokens (the uncached part), cache_creation_input_tokens, cache_read_input_tokens,
 * cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}, output_tokens}`, turned
 * into OpenAI semantics: every input class inside inputTokens, cache reads as cached input, and
 * each write class at its own rate. Cache creation without the split is all 5-minute writes (what
 * the API reported before 1-hour entries existed); a split that says less than the total leaves the
 * rest as 5-minute writes. Thinking tokens are part of output_tokens, billed at the output rate.
 */
export function usageFromAnthropic(usage: unknown): Usage | null {
  if (!isRecord(usage)) return null;
  const uncached = count(usage['input_tokens']);
  const output = count(usage['output_tokens']);
  const created = count(usage['cache_creation_input_tokens']) ?? 0;
  const read = count(usage['cache_read_input_tokens']) ?? 0;
  const split = usage['cache_creation'];
  const oneHour = detail(split, 'ephemeral_1h_input_tokens');
  const fiveMinutes = detail(split, 'ephemeral_5m_input_tokens');
  if (uncached === undefined || output === undefined) return null;
  if ([uncached, output, created, read, oneHour, fiveMinutes].includes(INVALID)) return null;
  const writes1h = oneHour ?? 0;
  const writes5m = Math.max(fiveMinutes ?? 0, created - writes1h);
  return {
    inputTokens: uncached + read + writes5m + writes1h,
    cachedInputTokens: read,
    cacheWriteTokens: writes5m,
    cacheWrite1hTokens: writes1h,
    outputTokens: output,
    reasoningTokens: 0,
  };
}
