// Builds the body runcap forwards upstream: a shallow copy of the client's body with the
// model, the output cap, a hosted-tool call limit and (streaming chat/completions) stream usage rewritten, or null when
// nothing needs to change so the client's bytes go out untouched. Never mutates the request.
import type { ParsedRequest, UpstreamChanges } from '../adapter.js';
import { isRecord } from './body-fields.js';

export interface BodyRewrite {
  /**
   * The body fields that carry the output cap, preferred first. The cap is written into each
   * of them the client sent, or into the first when it sent none. Empty: the endpoint has no cap.
   */
  readonly capFields: readonly string[];
  /** Chat/completions streams: ask for the usage chunk (`stream_options.include_usage`). */
  readonly injectStreamUsage: boolean;
}

export function rewriteBody(
  request: ParsedRequest,
  changes: UpstreamChanges,
  rewrite: BodyRewrite,
): Record<string, unknown> | null {
  const body = request.body;
  const model = changes.model !== undefined && changes.model !== request.model ? changes.model : undefined;
  const cap =
    rewrite.capFields.length > 0 &&
    changes.maxOutputTokens !== undefined &&
    changes.maxOutputTokens !== request.clientMaxOutputTokens
      ? changes.maxOutputTokens
      : undefined;
  const askUsage = rewrite.injectStreamUsage && request.stream && !request.clientWantsStreamUsage;
  const toolCallsField = request.hostedTools?.capField ?? null;
  const toolCalls = toolCallsField !== null ? changes.maxToolCalls : undefined;
  if (model === undefined && cap === undefined && !askUsage && toolCalls === undefined) return null;

  const copy: Record<string, unknown> = { ...body };
  if (model !== undefined) copy['model'] = model;
  if (cap !== undefined) {
    const sent = rewrite.capFields.filter((field) => body[field] !== undefined && body[field] !== null);
    for (const field of sent.length > 0 ? sent : rewrite.capFields.slice(0, 1)) copy[field] = cap;
  }
  if (toolCallsField !== null && toolCalls !== undefined) copy[toolCallsField] = toolCalls;
  if (askUsage) {
    const options = body['stream_options'];
    copy['stream_options'] = Object.assign({}, isRecord(options) ? options : {}, { include_usage: true });
  }
  return copy;
}
