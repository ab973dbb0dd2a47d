// The decision records waiting to be written (sqlite/records.ts, redis/record-writer.ts; docs/ledger.md
// "Bookkeeping beside the money"), and when each is ready to go: a record made at a decision waits
// for its settlement up to HOLD_MS, so a call that settles within it is written once (SQLite: one
// INSERT carrying its settlement; Redis: one decision put with the settlement's keys laid over the
// record's) instead of a write and a patch of the same record; a record older than that, or a
// settlement of a record already written, is ready at once. The store decides when ready writes
// go (SQLite: the next group-commit transaction; Redis: the next event-loop turn); a timer wakes
// it when a held record reaches HOLD_MS. Holds no money; no store I/O here.
import type { StoredDecision } from './records.js';

/** How long a decision's record waits for its settlement before it is written alone. */
export const HOLD_MS = 50;

/**
 * A queued write: a whole decision (its record encoded once, when queued, in the store's form `E`:
 * SQLite's JSON text, Redis's field/value pairs), or a patch of a stored one.
 */
export interface QueuedWrite<E> {
  readonly decision: StoredDecision | null;
  readonly encoded: E | null;
  readonly patch: Record<string, unknown>;
}

interface Held<E> {
  readonly write: QueuedWrite<E>;
  readonly atMs: number;
}

export interface RecordQueue<E> {
  /** A whole decision; it waits for its settlement (a patch) up to HOLD_MS. */
  put(id: string, decision: StoredDecision, encoded: E): void;
  /** A settlement (or any later patch): merged into a queued write of the same id, else queued alone. */
  patch(id: string, patch: Readonly<Record<string, unknown>>): void;
  /** Whether a write is ready now. */
  due(): boolean;
  /**
   * The writes ready now, in the order they became ready (`all`: every queued one, e.g. before a
   * read). They stay queued (a later patch merges into them) until written() is called.
   */
  take(all: boolean): ReadonlyMap<string, QueuedWrite<E>>;
  /** The writes last taken are written (SQLite: in a committed transaction; Redis: sent). */
  written(): void;
  /** Drops every queued write; returns how many there were. */
  drop(): number;
  readonly size: number;
}

/**
 * `wake` is called when something is ready and no transaction may come for it on its own: a
 * held record reaching `holdMs` (HOLD_MS; tests may hold longer).
 */
export function createRecordQueue<E>(
  wake: () => void,
  clock: () => number = () => performance.now(),
  holdMs: number = HOLD_MS,
): RecordQueue<E> {
  const held = new Map<string, Held<E>>();
  const ready = new Map<string, QueuedWrite<E>>();
  let timer: NodeJS.Timeout | null = null;

  const oldestDue = (): boolean => {
    for (const entry of held.values()) return clock() - entry.atMs >= holdMs;
    return false;
  };
  const arm = (): void => {
    if (timer !== null) return;
    let oldest: Held<E> | undefined;
    for (const entry of held.values()) {
      oldest = entry;
      break;
    }
    if (oldest === undefined) return;
    const inMs = Math.max(0, Math.ceil(oldest.atMs + holdMs - clock()));
    timer = setTimeout(() => {
      timer = null;
      if (oldestDue()) wake();
      else arm();
    }, inMs);
    timer.unref();
  };

  return {
    put(id, decision, encoded) {
      const earlier = ready.get(id);
      if (earlier !== undefined) {
        // A settlement that came first: the two go out together, as soon as possible.
        ready.set(id, { decision, encoded, patch: earlier.patch });
        return;
      }
      const patch = held.get(id)?.write.patch ?? {};
      held.delete(id);
      held.set(id, { write: { decision, encoded, patch }, atMs: clock() });
      arm();
    },
    patch(id, patch) {
      const waiting = held.get(id);
      if (waiting !== undefined) {
        held.delete(id);
        ready.set(id, { ...waiting.write, patch: { ...waiting.write.patch, ...patch } });
        return;
      }
      const write = ready.get(id);
      if (write !== undefined) Object.assign(write.patch, patch);
      else ready.set(id, { decision: null, encoded: null, patch: { ...patch } });
    },
    due: () => ready.size > 0 || oldestDue(),
    take(all) {
      const nowMs = clock();
      for (const [id, entry] of held) {
        if (!all && nowMs - entry.atMs < holdMs) break;
        held.delete(id);
        ready.set(id, entry.write);
      }
      arm();
      return ready;
    },
    written() {
      ready.clear();
    },
    drop() {
      const lost = ready.size + held.size;
      ready.clear();
      held.clear();
      return lost;
    },
    get size() {
      return ready.size + held.size;
    },
  };
}
