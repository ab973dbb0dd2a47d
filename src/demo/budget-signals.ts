// How a client reads runcap's budget signals (docs/design.md §6): the X-Budget-* headers of a
// response, and the 402 problem a stock OpenAI SDK surfaces as `APIError` (its `error`
// member repeats `budget` and `alternatives`). Client-side only; knows nothing of the server.
import OpenAI from 'openai';
import { parseUsd, type Micros } from '../money/micros.js';

export interface BudgetHeaders {
  readonly decision: string | null;
  readonly decisionId: string | null;
  readonly remainingMicros: Micros | null;
  readonly runId: string | null;
}

export interface BudgetAlternative {
  readonly model: string;
  readonly estimateUsd: string;
}

export interface BudgetProblem {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly decision: string | null;
  readonly shouldRetry: string | null;
  /** The problem's `budget` member, as sent (decimal strings and token counts). */
  readonly budget: Readonly<Record<string, string | number | null>>;
  readonly alternatives: readonly BudgetAlternative[];
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function readBudgetHeaders(headers: Headers): BudgetHeaders {
  const remaining = headers.get('x-budget-remaining-usd');
  return {
    decision: headers.get('x-budget-decision'),
    decisionId: headers.get('x-budget-decision-id'),
    remainingMicros: remaining === null ? null : parseUsd(remaining, 'X-Budget-Remaining-USD'),
    runId: headers.get('x-run-id'),
  };
}

/** The budget refusal carried by an SDK error, or null when the error is something else. */
export function budgetProblemOf(error: unknown): BudgetProblem | null {
  if (!(error instanceof OpenAI.APIError) || error.status !== 402 || !isRecord(error.error)) return null;
  const body = error.error;
  const budget: Record<string, string | number | null> = {};
  if (isRecord(body['budget'])) {
    for (const [key, value] of Object.entries(body['budget'])) {
      if (typeof value === 'string' || typeof value === 'number' || value === null) budget[key] = value;
    }
  }
  const alternatives = (Array.isArray(body['alternatives']) ? body['alternatives'] : []).flatMap((alt) =>
    isRecord(alt) && typeof alt['model'] === 'string'
      ? [{ model: alt['model'], estimateUsd: String(alt['estimate_usd'] ?? '?') }]
      : [],
  );
  return {
    status: error.status,
    code: typeof error.code === 'string' ? error.code : 'unknown',
    detail: typeof body['message'] === 'string' ? body['message'] : error.message,
    decision: error.headers?.get('x-budget-decision') ?? null,
    shouldRetry: error.headers?.get('x-should-retry') ?? null,
    budget,
    alternatives,
  };
}
