// Renders runcap's own errors as RFC 9457 problem+json, plus the OpenAI-style
// `error` member so stock OpenAI SDKs show the reason (docs/design.md §6). Provider errors never come here.
import { ERROR_STATUS, ERROR_TITLE, RuncapError, type ErrorCode } from '../errors.js';
import { H } from '../headers.js';

const PROBLEM_TYPE_BASE = 'https://runcap.dev/problems/';

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: ErrorCode;
    readonly param: string | null;
    readonly [member: string]: unknown;
  };
  readonly [member: string]: unknown;
}

export function problemBody(error: RuncapError, status: number = error.status): ProblemBody {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: ERROR_TITLE[error.code],
    status,
    detail: error.message,
    code: error.code,
    ...error.extra.members,
    // The OpenAI SDKs expose only this member (`err.error`), so it repeats the extra members
    // (`budget`, `alternatives`) for agents that read them through a stock SDK.
    error: {
      message: error.message,
      type: errorType(error.code),
      code: error.code,
      param: error.extra.param ?? null,
      ...error.extra.members,
    },
  };
}

/** A complete problem+json Response; `headers` carries X-Budget-* when a decision was made. */
export function problemResponse(
  error: RuncapError,
  headers: Headers = new Headers(),
  status: number = error.status,
): Response {
  headers.set('content-type', 'application/problem+json');
  setRetryHeaders(error, headers, status);
  return new Response(JSON.stringify(problemBody(error, status)), { status, headers });
}

/** Whether a refusal is worth retrying, as the OpenAI and Anthropic SDKs read it. */
export function setRetryHeaders(error: RuncapError, headers: Headers, status: number): void {
  const retryAfter = error.extra.retryAfterSeconds;
  if (retryAfter !== undefined) {
    // The one refusal that clears by itself (docs/design.md §12, spend velocity): the SDKs wait and retry.
    headers.set(H.retryAfter, String(retryAfter));
    headers.set(H.shouldRetry, 'true');
  } else if (status >= 400 && status < 500) {
    // A refusal of runcap's own (any 4xx, whatever block_status a tenant picked) will not
    // change on retry; stock SDKs honour this header. 5xx (ledger down, draining) may.
    headers.set(H.shouldRetry, 'false');
  }
}

function errorType(code: ErrorCode): string {
  const status = ERROR_STATUS[code];
  if (status === 402) return 'insufficient_budget';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}
