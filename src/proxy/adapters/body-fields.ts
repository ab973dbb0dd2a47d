// Field validation shared by the endpoint adapters: each check throws invalidRequest naming
// the offending field (OpenAI `param` style, e.g. "messages[2].role"). Validates only what
// runcap needs to meter a call; everything else is left for the provider to judge.
// As in the OpenAI API, an optional field sent as null counts as absent.
import { invalidRequest } from '../../errors.js';

export type Body = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireBody(body: unknown): Body {
  if (!isRecord(body)) throw invalidRequest('The request body must be a JSON object.', null);
  return body;
}

export function requireModel(body: Body): string {
  const model = body['model'];
  if (typeof model !== 'string' || model.trim() === '') {
    throw invalidRequest("'model' is required and must be a non-empty string.", 'model');
  }
  return model;
}

/**
 * `messages`: a non-empty array of objects with a string `role` (chat and Anthropic Messages);
 * `check` adds an endpoint's own rule for each message.
 */
export function requireMessages(
  body: Body,
  check?: (message: Record<string, unknown>, index: number) => void,
): readonly Record<string, unknown>[] {
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidRequest("'messages' must be a non-empty array.", 'messages');
  }
  return messages.map((message: unknown, index) => {
    if (!isRecord(message)) throw invalidRequest(`'messages[${index}]' must be an object.`, `messages[${index}]`);
    if (typeof message['role'] !== 'string') {
      throw invalidRequest(`'messages[${index}].role' must be a string.`, `messages[${index}].role`);
    }
    check?.(message, index);
    return message;
  });
}

export function optionalBoolean(body: Body, field: string): boolean | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw invalidRequest(`'${field}' must be a boolean.`, field);
  return value;
}

export function optionalString(body: Body, field: string): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidRequest(`'${field}' must be a string.`, field);
  return value;
}

/**
 * OpenAI `service_tier` ("auto", "default", "flex", "priority", ...) as sent, or null when absent.
 * Only its type is checked here; whether the table prices the tier is the pipeline's question.
 */
export function serviceTierField(body: Body): string | null {
  const tier = optionalString(body, 'service_tier');
  if (tier === '') throw invalidRequest("'service_tier' must be a non-empty string.", 'service_tier');
  return tier;
}

/** An integer >= `min`, or null when absent. Rejects fractions, strings, NaN and unsafe integers. */
export function optionalInteger(body: Body, field: string, min: number): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : `an integer >= ${min}`;
    throw invalidRequest(`'${field}' must be ${what}.`, field);
  }
  return value;
}

/** An array (possibly empty), or null when absent. */
export function optionalArray(body: Body, field: string): readonly unknown[] | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw invalidRequest(`'${field}' must be an array.`, field);
  return value;
}

export function optionalObject(body: Body, field: string): Body | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw invalidRequest(`'${field}' must be an object.`, field);
  return value;
}

const isTokenId = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * A text-or-tokens input as the legacy completions `prompt` and embeddings `input` take it:
 * a non-empty string, a non-empty array of strings, of token ids, or of non-empty token-id arrays.
 */
export function requireTextOrTokens(body: Body, field: string): void {
  const value = body[field];
  const fail = (): never => {
    throw invalidRequest(
      `'${field}' must be a non-empty string, an array of strings, an array of token ids, or an array of token-id arrays.`,
      field,
    );
  };
  if (typeof value === 'string') {
    if (value === '') fail();
    return;
  }
  if (!Array.isArray(value) || value.length === 0) return fail();
  const first: unknown = value[0];
  const each =
    typeof first === 'string'
      ? (item: unknown) => typeof item === 'string'
      : typeof first === 'number'
        ? isTokenId
        : (item: unknown) => Array.isArray(item) && item.length > 0 && item.every(isTokenId);
  value.forEach((item: unknown, index) => {
    if (!each(item)) throw invalidRequest(`'${field}[${index}]' has the wrong type or is empty.`, `${field}[${index}]`);
  });
}
