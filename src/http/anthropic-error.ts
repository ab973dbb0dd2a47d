// Renders runcap's own errors on the Anthropic endpoints in Anthropic's error shape
// (docs/design.md §8.1; Anthropic API reference "Errors": `{"type":"error","error":{"type",
// "message"}}`), so the Anthropic SDKs and Claude Code show the reason, plus runcap's members:
// `code`, `budget`, `alternatives`, ... and `decision_id`. Same status and headers as the
// problem+json of the other endpoints (http/problem.ts). Provider errors never come here.
import { RuncapError } from '../errors.js';
import { H } from '../headers.js';
import { setRetryHeaders } from './problem.js';

/** Anthropic's error `type` for a status (their documented list; 402 is `billing_error`). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(error: RuncapError, status: number, decisionId: string | null): unknown {
  return {
    type: 'error',
    error: { type: anthropicErrorType(status), message: error.message },
    // The Anthropic SDKs build an error's message from a top-level `message` when there is one
    // (else from the whole body's JSON): the reason, readable, in `err.message`.
    message: error.message,
    code: error.code,
    ...(error.extra.param ? { param: error.extra.param } : {}),
    ...error.extra.members,
    ...(decisionId !== null ? { decision_id: decisionId } : {}),
  };
}

/** Which endpoints answer in Anthropic's shape: the Messages API and what hangs under it. */
export function speaksAnthropic(path: string): boolean {
  return path === '/v1/messages' || path.startsWith('/v1/messages/');
}

export function anthropicErrorResponse(error: RuncapError, headers: Headers, status: number = error.status): Response {
  headers.set('content-type', 'application/json');
  setRetryHeaders(error, headers, status);
  const body = anthropicErrorBody(error, status, headers.get(H.decisionId));
  return new Response(JSON.stringify(body), { status, headers });
}
