// Opaque page cursors of the budget API's listings (docs/api.md "Pagination"): a position in the
// listing's order plus the query it belongs to, as base64url JSON. A cursor from another query,
// or one that does not decode, is a 400 naming `cursor`. Pure.
import { invalidRequest } from '../../errors.js';

const VERSION = 1;
const MAX_CURSOR_LENGTH = 2048;

export interface Cursor {
  /** What the listing was asked (filters, run id): a cursor answers only the same question. */
  readonly query: string;
  /** The last item's time (epoch ms) and id. */
  readonly atMs: number;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: VERSION, q: cursor.query, t: cursor.atMs, i: cursor.id })).toString(
    'base64url',
  );
}

/** The position `text` names for `query`; undefined when there is no cursor. */
export function decodeCursor(text: string | undefined, query: string): Cursor | undefined {
  if (text === undefined) return undefined;
  const bad = (why: string) =>
    invalidRequest(`cursor ${why}; pass the next_cursor of a previous page unchanged.`, 'cursor');
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw bad('is malformed');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('is malformed');
  }
  if (typeof parsed !== 'object' || parsed === null) throw bad('is malformed');
  const { v, q, t, i } = parsed as Record<string, unknown>;
  if (v !== VERSION || typeof q !== 'string' || typeof i !== 'string' || !Number.isSafeInteger(t) || Number(t) < 0)
    throw bad('is malformed');
  if (q !== query) throw bad('belongs to another query (other filters or another run)');
  return { query: q, atMs: Number(t), id: i };
}

/** `limit` of a listing: an integer from 1 to `max`, `fallback` when absent. */
export function pageLimit(text: string | undefined, fallback: number, max: number): number {
  const limit = text === undefined ? fallback : Number(text);
  if (text === '' || !Number.isSafeInteger(limit) || limit < 1 || limit > max)
    throw invalidRequest(`limit must be an integer from 1 to ${max}.`, 'limit');
  return limit;
}
