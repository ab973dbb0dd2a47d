// The one error class runcap raises for anything it answers itself, with stable
// string codes (docs/design.md §6). The status table below is the only place a code gets its
// HTTP status; http/problem.ts renders these as RFC 9457 problem+json.

export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_run_id: 400,
  max_output_tokens_required: 400,
  max_output_tokens_above_policy: 400,
  max_tool_calls_required: 400,
  run_budget_above_max: 400,
  unauthenticated: 401,
  forbidden: 403,
  run_ceiling_reached: 402,
  parent_run_ceiling_reached: 402,
  run_loop_detected: 402,
  key_ceiling_reached: 402,
  user_ceiling_reached: 402,
  team_ceiling_reached: 402,
  feature_ceiling_reached: 402,
  price_unknown: 403,
  run_principal_mismatch: 403,
  run_closed: 403,
  model_not_allowed: 403,
  background_not_allowed: 403,
  not_found: 404,
  endpoint_not_metered: 404,
  conflict: 409,
  request_too_large: 413,
  too_many_active_runs: 429,
  run_velocity_exceeded: 429,
  internal_error: 500,
  upstream_unavailable: 502,
  ledger_unavailable: 503,
  shutting_down: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLE = {
  invalid_request: 'Invalid request',
  invalid_run_id: 'Invalid run id',
  max_output_tokens_required: 'Output token cap required',
  max_output_tokens_above_policy: 'Output token cap above policy',
  max_tool_calls_required: 'Hosted tool call limit required',
  run_budget_above_max: 'Run budget above the maximum',
  unauthenticated: 'Unauthenticated',
  forbidden: 'Forbidden',
  run_ceiling_reached: 'Run budget exhausted',
  parent_run_ceiling_reached: 'Parent run budget exhausted',
  run_loop_detected: 'Run loop detected',
  key_ceiling_reached: 'Key budget exhausted',
  user_ceiling_reached: 'User budget exhausted',
  team_ceiling_reached: 'Team budget exhausted',
  feature_ceiling_reached: 'Feature budget exhausted',
  price_unknown: 'Model price unknown',
  run_principal_mismatch: 'Run belongs to another principal',
  run_closed: 'Run closed',
  model_not_allowed: 'Model not allowed',
  background_not_allowed: 'Background responses not allowed',
  not_found: 'Not found',
  endpoint_not_metered: 'Endpoint not metered',
  conflict: 'Conflict',
  request_too_large: 'Request too large',
  too_many_active_runs: 'Too many active runs',
  run_velocity_exceeded: 'Run spending too fast',
  internal_error: 'Internal error',
  upstream_unavailable: 'Upstream unavailable',
  ledger_unavailable: 'Budget ledger unavailable',
  shutting_down: 'Shutting down',
} as const satisfies Record<ErrorCode, string>;

export class RuncapError extends Error {
  override readonly name = 'RuncapError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra RFC 9457 members (e.g. `budget`, `alternatives`) and the OpenAI `param`. */
    readonly extra: {
      readonly param?: string | null;
      readonly members?: Readonly<Record<string, unknown>>;
      /** Response headers (X-Budget-*) the refusal carries. */
      readonly headers?: Readonly<Record<string, string>>;
      /** Status override (a tenant's configured block status). */
      readonly status?: number;
      /** A refusal worth retrying after this many whole seconds (Retry-After, x-should-retry: true). */
      readonly retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }

  get status(): number {
    return this.extra.status ?? ERROR_STATUS[this.code];
  }

  /** The same error carrying response headers (merged with any it already has). */
  withHeaders(headers: Readonly<Record<string, string>>): RuncapError {
    return new RuncapError(this.code, this.message, { ...this.extra, headers: { ...this.extra.headers, ...headers } });
  }
}

/** Shorthand for the most common case: a 400 naming the offending field. */
export function invalidRequest(message: string, param: string | null = null): RuncapError {
  return new RuncapError('invalid_request', message, { param });
}
