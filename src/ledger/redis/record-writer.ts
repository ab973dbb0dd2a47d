// Decision records written behind on Redis (docs/ledger-redis.md "Records are written behind"): a
// record waits up to HOLD_MS for its settlement (../record-queue.ts), so a call that settles
// within it costs one decision put carrying the settlement's keys (laid over the record's, keys
// patched to undefined left out) instead of a put and a runcap_decision_patch_v1. The put is
// runcap_decision_put_v2, the hash's pairs joined into one argument (v1, one argument each, when
// a name or id holds a NUL byte). Ready writes go out once per event-loop turn, together. The
// stored hash is the one a v1 put and a patch make, so instances of either build read each
// other's records. Holds no money.
import { globalKeys, tenantKeys } from './keys.js';
import { runScript, SCRIPTS, type RedisClient } from './scripts.js';
import type { TenantIndex } from './tenant-index.js';
import { createRecordQueue, HOLD_MS, type QueuedWrite } from '../record-queue.js';
import type { StoredDecision } from '../records.js';
import { LedgerError } from '../types.js';

/** The decision hash's fields besides the record's: who, and when (docs/ledger-redis.md "Keys"). */
export const META = { tenant: 'm:tenant', keyId: 'm:keyId', runId: 'm:runId', createdAtMs: 'm:createdAtMs' } as const;
/** A record key `name` is stored as the field `r:name`. */
export const RECORD_PREFIX = 'r:';

/** Field names `r:<key>`, made once per record key (a record has a few dozen, the same every call). */
const fieldNames = new Map<string, string>();
const MAX_FIELD_NAMES = 1_024;
function fieldName(key: string): string {
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = `${RECORD_PREFIX}${key}`;
    if (fieldNames.size < MAX_FIELD_NAMES) fieldNames.set(key, name);
  }
  return name;
}

/** Appends a record's field/value pairs (values JSON-encoded) to `out`; returns the fields of undefined values (JSON drops them). */
export function encodeRecord(record: Readonly<Record<string, unknown>>, out: string[] = []): string[] {
  const dropped: string[] = [];
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const json: string | undefined = JSON.stringify(record[key]);
    if (json === undefined) dropped.push(fieldName(key));
    else out.push(fieldName(key), json);
  }
  return dropped;
}

/**
 * Lays a patch over a record's field/value pairs (`pairs` from `start` on), in place, as an
 * HSET/HDEL of the patch would leave the hash: a patched key keeps its place, a key patched to
 * undefined is left out, new keys follow. Field names are never equal to a JSON value (those
 * start with a quote, a digit, '-', '[', '{', true, false or null), so a search finds fields only.
 */
export function patchPairs(pairs: string[], start: number, patch: Readonly<Record<string, unknown>>): void {
  for (const key in patch) {
    if (!Object.hasOwn(patch, key)) continue;
    const field = fieldName(key);
    let at = pairs.indexOf(field, start);
    while (at !== -1 && (at - start) % 2 !== 0) at = pairs.indexOf(field, at + 1);
    const json: string | undefined = JSON.stringify(patch[key]);
    if (json === undefined) {
      if (at !== -1) pairs.splice(at, 2);
    } else if (at === -1) {
      pairs.push(field, json);
    } else {
      pairs[at + 1] = json;
    }
  }
}

/** A held record: its hash's field/value pairs (who and when, then the record's), ready but for a settlement. */
interface Encoded {
  readonly pairs: string[];
  /** Where the record's pairs start. */
  readonly start: number;
}

/** Whether no field name nor id holds a NUL byte (JSON values never do), so the pairs can travel joined by NULs. */
function joinable(pairs: readonly string[], start: number): boolean {
  for (let i = 0; i < pairs.length; i += i < start ? 1 : 2) if (pairs[i]?.includes('\0') !== false) return false;
  return true;
}

const NO_RECORD: Readonly<Record<string, unknown>> = Object.freeze({});

export interface RecordWriter {
  /** Queues a decision; throws when the record cannot be encoded or Redis is not connected. */
  put(decision: StoredDecision): void;
  /** Queues a patch (merged into its queued record when there is one). */
  patch(id: string, patch: Readonly<Record<string, unknown>>): void;
  /** Writes everything queued, held records too, and waits for every write in flight; throws when its own failed. */
  flush(): Promise<void>;
  /** Refuses further writes and flushes. */
  close(): Promise<void>;
}

export function createRecordWriter(
  client: RedisClient,
  prefix: string,
  index: TenantIndex,
  retentionMs: number,
  onError: (error: unknown) => void,
  holdMs = HOLD_MS,
): RecordWriter {
  const keys = globalKeys(prefix);
  const retention = String(retentionMs);
  const inFlight = new Set<Promise<unknown>>();
  let scheduled = false;
  let closed = false;

  const writeOne = async (id: string, write: QueuedWrite<Encoded>): Promise<void> => {
    const { decision, encoded } = write;
    if (decision === null || encoded === null) {
      const pairs: string[] = [];
      const dropped = encodeRecord(write.patch, pairs);
      await runScript(
        client,
        SCRIPTS.decisionPatch,
        [keys.decision(id)],
        [String(pairs.length / 2), ...pairs, ...dropped],
      );
      return;
    }
    // Taken off the queue: the pairs are this write's own to change.
    const { pairs, start } = encoded;
    patchPairs(pairs, start, write.patch);
    const put = joinable(pairs, start)
      ? runScript(client, SCRIPTS.decisionPutJoined, [keys.decision(id)], [retention, pairs.join('\0')])
      : runScript(client, SCRIPTS.decisionPut, [keys.decision(id)], [retention, ...pairs]);
    const tenantIndex = tenantKeys(prefix, decision.tenant);
    const createdAt = String(decision.createdAtMs);
    // Sent in the same turn as the rest of the batch: one write to Redis (an index entry whose
    // record failed to land is skipped by readers and dropped by prune).
    await Promise.all([
      put,
      client.zadd(tenantIndex.decisions, createdAt, id),
      decision.runId == null ? null : client.zadd(tenantIndex.runDecisions(decision.runId), createdAt, id),
      index.remember(decision.tenant),
    ]);
  };

  /** Sends what is ready (`all`: everything queued); resolves to the batch's failure, or null. */
  const send = (all: boolean): Promise<unknown> => {
    // Taken off the queue before anything is sent: a patch that comes while these are in
    // flight is queued on its own and sent after them on the same connection.
    const writes = [...queue.take(all)];
    queue.written();
    if (writes.length === 0) return Promise.resolve(null);
    const sent = Promise.allSettled(writes.map(([id, write]) => writeOne(id, write))).then((results) => {
      inFlight.delete(sent);
      const failed = results.filter((result) => result.status === 'rejected');
      const [first] = failed;
      if (first === undefined) return null;
      const reason: unknown = first.reason;
      const failure = new LedgerError(
        'ledger_unavailable',
        `${failed.length} of ${writes.length} decision record writes failed: ${reason instanceof Error ? reason.message : String(reason)}`,
      );
      failure.cause = reason;
      onError(failure);
      return failure;
    });
    inFlight.add(sent);
    return sent;
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void send(false);
    });
  };
  const queue = createRecordQueue<Encoded>(schedule, undefined, holdMs);

  const refuseUnlessOpen = (): void => {
    if (closed) throw new LedgerError('ledger_unavailable', 'the store is closed');
    // As every other operation during an outage: fail now, not 50 ms later in the background.
    if (client.status !== 'ready') throw new LedgerError('ledger_unavailable', `redis ledger: ${client.status}`);
  };

  const flush = async (): Promise<void> => {
    const mine = send(true);
    await Promise.all([...inFlight]);
    const failure = await mine;
    if (failure !== null) throw failure;
  };

  return {
    put(decision) {
      refuseUnlessOpen();
      const pairs = [
        META.tenant,
        decision.tenant,
        META.keyId,
        decision.keyId,
        META.createdAtMs,
        String(decision.createdAtMs),
      ];
      if (decision.runId != null) pairs.push(META.runId, decision.runId);
      const start = pairs.length;
      // Encoded once, here: a record that cannot be fails its own call. Undefined values are left out.
      encodeRecord(decision.record, pairs);
      // The queue keeps what the write needs, not the record itself.
      const { id, tenant, keyId, runId, createdAtMs } = decision;
      queue.put(id, { id, tenant, keyId, runId: runId ?? null, createdAtMs, record: NO_RECORD }, { pairs, start });
      // A settlement that came first makes it ready at once.
      if (queue.due()) schedule();
    },
    patch(id, patch) {
      refuseUnlessOpen();
      queue.patch(id, patch);
      schedule();
    },
    flush,
    close: () => {
      closed = true;
      return flush().catch(() => undefined);
    },
  };
}
