// Sorting and filtering the runs view, in the page (pure). The server already answers newest
// activity first and filters by state; this orders and narrows the rows the page has loaded.
import { toMicros } from './money.js';
import type { RunSummary } from './types.js';

export const SORT_KEYS = ['id', 'key', 'spend', 'calls', 'state', 'activity'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type Direction = 'asc' | 'desc';

export const STATE_FILTERS = ['all', 'active', 'open', 'closed'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export interface RunFilter {
  /** Words that must all appear in the run's id, key, tags or models (case-insensitive). */
  readonly text: string;
  readonly state: StateFilter;
}

export function filterRuns(runs: readonly RunSummary[], filter: RunFilter): RunSummary[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((run) => {
    if (filter.state === 'active' && !run.active) return false;
    if ((filter.state === 'open' || filter.state === 'closed') && run.state !== filter.state) return false;
    if (words.length === 0) return true;
    const haystack = [
      run.id,
      run.key_id,
      run.parent_run_id ?? '',
      ...Object.entries(run.tags).map(([name, value]) => `${name}=${value}`),
      ...(run.models_used ?? []).map((use) => use.model),
    ]
      .join(' ')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

export function sortRuns(runs: readonly RunSummary[], key: SortKey, direction: Direction): RunSummary[] {
  const sign = direction === 'asc' ? 1 : -1;
  // Ties keep the server's order (newest activity first): Array.prototype.sort is stable.
  return [...runs].sort((a, b) => sign * compare(a, b, key));
}

function compare(a: RunSummary, b: RunSummary, key: SortKey): number {
  switch (key) {
    case 'id':
      return a.id.localeCompare(b.id);
    case 'key':
      return a.key_id.localeCompare(b.key_id);
    case 'calls':
      return (a.calls ?? 0) - (b.calls ?? 0);
    case 'state':
      return stateRank(a) - stateRank(b);
    case 'activity':
      return Date.parse(a.last_activity_at) - Date.parse(b.last_activity_at);
    case 'spend':
      return compareBig(usedShare(a), usedShare(b));
  }
}

/** Active first when descending: active > open (idle) > closed. */
function stateRank(run: RunSummary): number {
  if (run.state === 'closed') return 0;
  return run.active ? 2 : 1;
}

/** (committed + reserved) / ceiling, as an integer in 10^-12 (finer than a micro-USD over any ceiling), to sort by closeness. */
function usedShare(run: RunSummary): bigint {
  const limit = toMicros(run.limit_usd) ?? 0n;
  const used = (toMicros(run.committed_usd ?? '0') ?? 0n) + (toMicros(run.reserved_usd ?? '0') ?? 0n);
  if (limit <= 0n) return used > 0n ? 10n ** 30n : 0n;
  return (used * 10n ** 12n) / limit;
}

function compareBig(a: bigint, b: bigint): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
