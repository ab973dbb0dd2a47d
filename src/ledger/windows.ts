// Window buckets and canonical scope keys (docs/design.md §3.2). Pure: no I/O, no clock of its
// own (callers pass nowMs), so the SQLite and Redis backends derive identical keys.
import type { ScopeSpec, ScopeType, ScopeWindow } from './types.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Fixed-length windows. 7d and 30d are epoch-aligned buckets: floor(now / len) * len. */
const FIXED_WINDOW_MS: Readonly<Record<'1h' | '1d' | '7d' | '30d', number>> = {
  '1h': HOUR_MS,
  '1d': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
};

export const SCOPE_WINDOWS: readonly ScopeWindow[] = ['none', '1h', '1d', '7d', '30d', 'month'];
export const SCOPE_TYPES: readonly ScopeType[] = ['run', 'key', 'user', 'team', 'feature'];

/**
 * Start of the UTC bucket that contains nowMs, or null for window "none".
 * - 1h, 1d: aligned to the UTC hour / day.
 * - 7d, 30d: fixed buckets counted from the Unix epoch (so a 7d bucket starts on a
 *   Thursday 00:00 UTC); they do not slide with each request.
 * - month: 00:00 UTC on the first day of the calendar month.
 */
export function windowStart(window: ScopeWindow, nowMs: number): number | null {
  switch (window) {
    case 'none':
      return null;
    case 'month': {
      const now = new Date(nowMs);
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    }
    default: {
      const lengthMs = FIXED_WINDOW_MS[window];
      return Math.floor(nowMs / lengthMs) * lengthMs;
    }
  }
}

/** Start of the bucket after the one containing nowMs (null for "none"); e.g. a TTL for bucket rows. */
export function windowEnd(window: ScopeWindow, nowMs: number): number | null {
  switch (window) {
    case 'none':
      return null;
    case 'month': {
      const now = new Date(nowMs);
      return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    }
    default: {
      const lengthMs = FIXED_WINDOW_MS[window];
      return (Math.floor(nowMs / lengthMs) + 1) * lengthMs;
    }
  }
}

/** The last label made per window: every reserve names its buckets, which change once an hour at most. */
const lastLabels = new Map<ScopeWindow, { readonly startMs: number; readonly label: string }>();

/** Human-readable bucket label: "2026-11-29T13" (1h), "2026-11-29" (1d/7d/30d start day), "2026-11" (month), "-" (none). */
export function bucketLabel(window: ScopeWindow, startMs: number | null): string {
  if (startMs === null || window === 'none') return '-';
  const last = lastLabels.get(window);
  if (last !== undefined && last.startMs === startMs) return last.label;
  const iso = new Date(startMs).toISOString();
  const label = window === '1h' ? iso.slice(0, 13) : window === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
  lastLabels.set(window, { startMs, label });
  return label;
}

/**
 * Canonical key of a scope in the bucket that contains nowMs:
 * `<type>|<window>|<bucket>|<id>`, e.g. `run|none|-|run_01J...`,
 * `key|1d|2026-11-29|k_alice`, `team|month|2026-11|research`.
 * Type, window and bucket never contain '|', so the id (which may contain ':' or
 * even '|') is everything after the third separator: keys are unambiguous.
 */
export function scopeKey(spec: Pick<ScopeSpec, 'type' | 'id' | 'window'>, nowMs: number): string {
  return `${spec.type}|${spec.window}|${bucketLabel(spec.window, windowStart(spec.window, nowMs))}|${spec.id}`;
}

export interface ParsedScopeKey {
  readonly type: ScopeType;
  readonly window: ScopeWindow;
  readonly bucket: string;
  readonly id: string;
}

/** Inverse of scopeKey; null when the text is not a scope key. */
export function parseScopeKey(key: string): ParsedScopeKey | null {
  const first = key.indexOf('|');
  const second = key.indexOf('|', first + 1);
  const third = key.indexOf('|', second + 1);
  if (first < 0 || second < 0 || third < 0) return null;
  const type = SCOPE_TYPES.find((candidate) => candidate === key.slice(0, first));
  const window = SCOPE_WINDOWS.find((candidate) => candidate === key.slice(first + 1, second));
  if (type === undefined || window === undefined) return null;
  return { type, window, bucket: key.slice(second + 1, third), id: key.slice(third + 1) };
}
