// Validates budget API request bodies and query values (docs/design.md §8) into typed inputs,
// throwing the docs/design.md §6 400 that names the offending field. Pure: no ledger, no HTTP.
import { z } from 'zod';
import { parseDurationMs } from '../../config/duration.js';
import { invalidRequest } from '../../errors.js';
import { parseUsd, MoneyError, type Micros } from '../../money/micros.js';

const MAX_TAGS = 32;
const TAG_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_TAG_VALUE = 256;
/** The longest hold a budget API caller may ask for. */
export const MAX_RESERVATION_TTL_MS = 86_400_000;

const usd = z.string().min(1);
const text = z.string().min(1).max(128);
const tokens = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const tags = z
  .record(z.string().regex(TAG_NAME, 'tag names are 1-64 chars of [A-Za-z0-9._:-]'), z.string().max(MAX_TAG_VALUE))
  .refine((value) => Object.keys(value).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);

export const createRunSchema = z.strictObject({
  id: z.string().optional(),
  limit_usd: usd.optional(),
  tags: tags.optional(),
  idle_ttl: z.string().optional(),
  /** Admin only: the tenant (default "default") and the key the run is bound to. */
  tenant: text.optional(),
  key_id: text.optional(),
  /** The run this one is a sub-agent of (docs/design.md §2). */
  parent: z.string().optional(),
});

/** PATCH /budget/runs/{id} (docs/design.md §12). */
export const patchRunSchema = z.strictObject({ limit_usd: usd });

const reservationCommon = {
  run_id: z.string().optional(),
  run_budget_usd: usd.optional(),
  feature: text.optional(),
  user: text.optional(),
  ttl: z.string().optional(),
};

export const reserveSchema = z.union([
  z.strictObject({ ...reservationCommon, amount_usd: usd }),
  z.strictObject({ ...reservationCommon, model: text, input_tokens: tokens, max_output_tokens: tokens }),
]);

export const commitSchema = z.union([
  z.strictObject({ amount_usd: usd }),
  z.strictObject({
    usage: z.strictObject({
      input_tokens: tokens,
      output_tokens: tokens,
      cached_input_tokens: tokens.optional(),
      cache_write_tokens: tokens.optional(),
      cache_write_1h_tokens: tokens.optional(),
      reasoning_tokens: tokens.optional(),
    }),
  }),
]);

export type CreateRunBody = z.output<typeof createRunSchema>;
export type PatchRunBody = z.output<typeof patchRunSchema>;
export type ReserveBody = z.output<typeof reserveSchema>;
export type CommitBody = z.output<typeof commitSchema>;

/** Parses `raw` with `schema`; a failure is a 400 naming the first bad field. */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalidRequest('The request body must be a JSON object.');
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = firstIssue(result.error.issues);
  const path = issue?.path.map(String).join('.') ?? '';
  throw invalidRequest(
    path ? `${path}: ${issue?.message ?? 'invalid'}` : (issue?.message ?? 'The request body is invalid.'),
    path || null,
  );
}

/** A union's own issue says only "invalid input": report the closest branch's first issue instead. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  const first = issues[0];
  if (first?.code !== 'invalid_union') return first;
  const branches = first.errors.filter((branch) => branch.length > 0);
  const closest = [...branches].sort((a, b) => unknownKeys(a) - unknownKeys(b) || a.length - b.length)[0];
  return closest ? firstIssue(closest) : first;
}

function unknownKeys(issues: readonly z.core.$ZodIssue[]): number {
  return issues.filter((issue) => issue.code === 'unrecognized_keys').length;
}

/** A USD decimal string to micro-USD, or a 400 naming `param`. */
export function usdParam(text: string, param: string): Micros {
  try {
    return parseUsd(text, param);
  } catch (error) {
    if (error instanceof MoneyError) throw invalidRequest(error.message, param);
    throw error;
  }
}

/** A duration string ("90s", "24h") to ms, or a 400 naming `param`; above `maxMs` is refused. */
export function durationParam(text: string, param: string, maxMs: number = Number.MAX_SAFE_INTEGER): number {
  const ms = parseDurationMs(text);
  if (ms === null)
    throw invalidRequest(`${param} must be a duration like "90s", "15m", "24h" or "7d", got "${text}".`, param);
  if (ms > maxMs) throw invalidRequest(`${param} "${text}" is longer than the maximum of ${maxMs / 1000}s.`, param);
  return ms;
}

/** A point in time given as ISO-8601 or epoch milliseconds, or a 400 naming `param`. */
export function timeParam(text: string, param: string): number {
  const trimmed = text.trim();
  const ms = /^\d{1,16}$/.test(trimmed)
    ? Number(trimmed)
    : /^\d{4}-\d{2}-\d{2}/.test(trimmed)
      ? Date.parse(trimmed)
      : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw invalidRequest(
      `${param} must be an ISO-8601 timestamp (2026-11-01T00:00:00Z) or epoch milliseconds, got "${text}".`,
      param,
    );
  }
  return ms;
}

/** A request body's text as JSON; an empty body is `{}`. */
export function parseJsonText(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}
