// What this process last wrote of each live reservation (its row and its parsed scope links), so a
// settlement reads only the columns that can change while a hold is live (tenant, state,
// expiry: rows.ts selectLiveState) instead of the whole row.
// Never the truth: every use is checked against that narrow read in the same transaction, and a
// miss, a settled state or another tenant falls back to reading the row. Bounded; no I/O.
import { setBounded } from '../../bounded-map.js';
import type { LiveState, ReservationRow } from './rows.js';
import type { ReservedScope } from '../types.js';

/** Live holds remembered at most; beyond it the oldest are forgotten (they are read from the file). */
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly row: ReservationRow;
  readonly scopes: readonly ReservedScope[];
}

export interface LiveRows {
  /** A reservation this process just wrote live. */
  remember(row: ReservationRow, scopes: readonly ReservedScope[]): void;
  /** The row as it stands now, when `now` (read in this transaction) shows it live and it is known here. */
  current(id: string, now: LiveState): Entry | null;
  forget(id: string): void;
}

export function createLiveRows(): LiveRows {
  const entries = new Map<string, Entry>();
  return {
    remember(row, scopes) {
      setBounded(entries, row.id, { row, scopes }, MAX_ENTRIES);
    },
    current(id, now) {
      const entry = entries.get(id);
      if (entry === undefined) return null;
      // The cached columns never change while the row lives; a row made again under a pruned id has
      // another creation time.
      if (
        (now.state !== 'reserved' && now.state !== 'forwarded') ||
        now.tenant !== entry.row.tenant ||
        now.created_at_ms !== entry.row.created_at_ms
      ) {
        entries.delete(id);
        return null;
      }
      if (now.state === entry.row.state && now.expires_at_ms === entry.row.expires_at_ms) return entry;
      return { row: { ...entry.row, state: now.state, expires_at_ms: now.expires_at_ms }, scopes: entry.scopes };
    },
    forget(id) {
      entries.delete(id);
    },
  };
}
