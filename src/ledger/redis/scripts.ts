// The registry of ledger Lua scripts: versioned names, their source (lua/*.lua, read once
// when this module loads: the prelude, then the body), SHA1, key count, and the EVALSHA call
// with an EVAL fallback on NOSCRIPT. A script's behaviour never changes under the same name:
// edit its .lua file -> bump the _vN suffix here. The .lua files hold Lua only; what each
// script takes and returns is written beside its entry below.
//
// lua/prelude.lua: the time source, window buckets and canonical scope keys (a port of
// ../windows.ts, kept identical by test/ledger-redis-lua.test.ts), and the counter moves of
// a settlement. Integers leave Lua through I() because tostring() keeps 14 digits.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface LedgerScript {
  /** e.g. runcap_reserve_v1; also the first line of the source, so it is part of the SHA1. */
  readonly name: string;
  readonly lua: string;
  readonly sha1: string;
  readonly numberOfKeys: number;
  /** Keys a call may add after numberOfKeys (the script checks whether they were passed). */
  readonly optionalKeys: number;
}

/** A file of lua/ as written (the build copies the folder beside the compiled module). */
function luaFile(name: string): string {
  return readFileSync(new URL(`./lua/${name}`, import.meta.url), 'utf8');
}

/** Lua shared by every script, placed ahead of each body. */
export const LUA_PRELUDE = luaFile('prelude.lua');

/**
 * The head of the reservation state machine's transitions (forward, extend, commit, release),
 * each conditional on the stored state so repeats are no-ops. They share KEYS: 1 reservation
 * hash, 2 live set, 3 settled set; and ARGV: 1 tenant key base, 2 now ('' = TIME), 3 reservation
 * id, 4 retention ms, 5.. per script. They return {'changed' | 'unchanged', now, reservation
 * fields} or {'error', code, message}.
 */
const TRANSITION_HEAD = luaFile('transition-head.lua');

function script(name: string, body: string, numberOfKeys: number, optionalKeys = 0): LedgerScript {
  const lua = `-- ${name}\n${LUA_PRELUDE}\n${body}`;
  return { name, lua, sha1: createHash('sha1').update(lua).digest('hex'), numberOfKeys, optionalKeys };
}

function transition(name: string, file: string): LedgerScript {
  return script(name, TRANSITION_HEAD + luaFile(file), 3);
}

/** Threshold alerts queued by the scripts that grow committed spend (commit, expire). */
const ALERTS = luaFile('alerts.lua');

export const SCRIPTS = {
  /**
   * The atomic multi-scope reserve: every enforceable scope fits or nothing is written (the
   * per-mode rule mirrors ../scope-rules.ts judgeScope; TypeScript re-derives views and the
   * blocking scope from the counters this returns).
   * KEYS: 1 reservation hash, 2 live set, 3 idempotency key (unused when ARGV[9] = '0'); on a
   * standalone server also 4, the id -> tenant entry, claimed (SET NX GET) when the hold is written:
   * {'error', 'invalid_transition', ...} and nothing written when another tenant holds it.
   * ARGV: 1 tenant key base, 2 now ('' = TIME), 3 id, 4 tenant, 5 decision id, 6 amount,
   * 7 ttl ms, 8 idempotency key, 9 has idempotency key, 10 model, 11 price table version,
   * 12 run id, 13 key id, 14 user id, 15 team id, 16 feature, 17 endpoint (run, user, team and
   * feature nullable: '-' or '+<value>'), 18 retention ms, 19 initial state (reserved | forwarded),
   * 20 scope count, then per scope: type, id, window, limit ('-' or integer), mode, margin; then
   * the brakes (../brake-rules.ts): velocity limit ('-' = none), loop run id ('' = none), loop
   * step hash, loop max repeats; then the run check (ReserveRequest.runCheck): run id ('' = none),
   * key id. Brakes and run check may be left off together (none of either). A bucket's stored limit
   * and mode are rewritten only when they differ from the call's.
   * Returns {status, now, reservation fields, {key, committed, reserved} per scope before any
   * hold} where status is reserved | reused | blocked (the fields only for reused: a new hold is
   * the request at "now"); {'run_changed', now} (the run check failed,
   * nothing written); {'braked', now, {}, counters, verdict}
   * where verdict is {'loop', run id, repeats, max} or {'velocity', limit, {{run id, spent,
   * {bucket, micros, ...}}...}} (each full window with the buckets it holds); or
   * {'error', code, message}.
   */
  reserve: script('runcap_reserve_v9', luaFile('reserve.lua'), 3, 1),
  /**
   * Read-only counters of scopes in the current bucket.
   * KEYS: 1 any key of the tenant (routes the call to the tenant's slot).
   * ARGV: 1 tenant key base, 2 now, 3 scope count, then per scope: type, id, window.
   * Returns {now, {key, committed, reserved} per scope}.
   */
  view: script('runcap_view_v1', luaFile('view.lua'), 1),
  /** ARGV[5]: extend ttl ms, or '' to keep the expiry. */
  forward: transition('runcap_forward_v1', 'forward.lua'),
  /** ARGV[5]: ttl ms; the expiry becomes max(expiry, now + ttl). */
  extend: transition('runcap_extend_v1', 'extend.lua'),
  /**
   * ARGV[5] actual, 6 usage source, 7 '1' when tokens follow, 8-11 input/output/cached/reasoning
   * tokens; then the tenant's alert thresholds: a count and that many basis points; then '1' for a
   * brief reply: instead of every reservation field, only the fields a transition
   * changes, as reply.ts withChanges reads them (HMGET order;
   * after a commit of a live hold, from the values just written, not read back). Its head is
   * TRANSITION_HEAD's with the first three scopes read in the same HMGET as the row.
   */
  commit: script('runcap_commit_v5', ALERTS + luaFile('commit.lua'), 3),
  release: transition('runcap_release_v2', 'release.lua'),
  /**
   * Expires one batch of a tenant's due reservations (expiresAt <= now - skew), each exactly
   * once across concurrent sweepers.
   * KEYS: 1 live set, 2 settled set. ARGV: 1 tenant key base, 2 now, 3 skew tolerance ms,
   * 4 batch size, 5 retention ms, 6 alert threshold count, then that many basis points.
   * Returns {now, ids scanned, {{charged '0'|'1', fields}...}}.
   */
  expire: script('runcap_expire_v3', ALERTS + luaFile('expire.lua'), 2),
  /**
   * Run binding with the active-run cap (mirrors ../sqlite/runs.ts).
   * KEYS: 1 run hash, 2 the key's active-run set (score = lastActivity + idleTtl), 3 all runs
   * by creation, 4 the key's runs by creation.
   * ARGV: 1 now, 2 tenant, 3 run id, 4 key id, 5 limit, 6 idle ttl, 7 max active per key,
   * 8 tags JSON, 9 create-only '1'|'0', 10 parent run id ('' = none), 11 inherit the parent's
   * remaining budget '1'|'0', 12 max depth, 13 tenant key base.
   * Returns {kind, run fields, {{run id, limit, state}...} ancestors} (created | existing),
   * {'exists', run fields}, {'principal_mismatch'}, {'too_many_active', count},
   * {'parent_not_found' | 'parent_principal_mismatch' | 'parent_closed' | 'too_deep'} or
   * {'cycle' | 'parent_conflict', current parent ('' = none)}.
   */
  runOpen: script('runcap_run_open_v3', luaFile('run-open.lua'), 4),
  /**
   * A run's new ceiling and its history entry. KEYS: 1 run hash, 2 its limit history list.
   * ARGV: 1 now, 2 limit, 3 changed by. Returns {'not_found'}, {'closed', run fields} or
   * {'changed', run fields, at, previous limit}.
   */
  runLimit: script('runcap_run_limit_v1', luaFile('run-limit.lua'), 2),
  /**
   * KEYS: 1 run hash. ARGV: 1 now, 2 tenant key base, 3 run id.
   * Returns the run fields after closing (empty when the run does not exist).
   */
  runClose: script('runcap_run_close_v1', luaFile('run-close.lua'), 1),
  /** KEYS: 1 the key's active-run set. ARGV: 1 now. Returns how many runs are active. */
  runCount: script('runcap_run_count_v1', luaFile('run-count.lua'), 1),
  /**
   * Replaces a decision record (a hash, one field per top-level record key, so a shallow
   * patch is an HSET). KEYS: 1 decision hash. ARGV: 1 ttl ms, then field/value pairs.
   */
  decisionPut: script('runcap_decision_put_v1', luaFile('decision-put.lua'), 1),
  /**
   * decisionPut with its field/value pairs as ONE argument, joined by NUL bytes (a JSON value
   * never holds one; record-writer.ts sends v1 when a field name or an id does), so a record of
   * ~50 keys is 2 arguments instead of ~100 for the client to encode. The hash it writes is
   * v1's. KEYS: 1 decision hash. ARGV: 1 ttl ms, 2 the pairs joined by '\0'.
   */
  decisionPutJoined: script('runcap_decision_put_v2', luaFile('decision-put-joined.lua'), 1),
  /**
   * Shallow-merges into an existing decision; a missing one stays missing.
   * KEYS: 1 decision hash. ARGV: 1 number of field/value pairs to set, the pairs, then
   * fields to delete (keys patched to undefined, which JSON drops).
   */
  decisionPatch: script('runcap_decision_patch_v1', luaFile('decision-patch.lua'), 1),
  /**
   * Retention (docs/ledger.md "Retention", mirrors ../sqlite/retention.ts) for what does not
   * expire by itself: charged reservations settled before the cutoff, and runs unused since
   * then that hold nothing and have no sub-agent run left (with their run scope, index entries,
   * loop and velocity state and ceiling history). Window buckets, released
   * reservations and attribution-only scopes carry their own TTLs.
   * KEYS: 1 the tenant's runs by creation, 2 its settled set.
   * ARGV: 1 tenant key base, 2 cutoff ms, 3 batch size, 4 offset into the run candidates.
   * Returns {reservations deleted, runs deleted, scopes deleted, runs kept, run candidates seen}.
   */
  prune: script('runcap_prune_v3', luaFile('prune.lua'), 2),
  /**
   * Records a turn of a Responses conversation (docs/bounds.md): stores
   * max(stored, billed + max(0, stored - seen)), or billed when there is none.
   * KEYS: 1 the conversation's token count. ARGV: 1 billed tokens, 2 tokens seen when the turn
   * was planned, 3 retention ms. Returns the stored count.
   */
  /**
   * Leases the tenant's due threshold alerts. KEYS: 1 its alerts:due set. ARGV: 1 tenant key
   * base, 2 now, 3 lease ms, 4 limit. Returns {{id, alert fields}...}.
   */
  alertsClaim: script('runcap_alerts_claim_v1', luaFile('alerts-claim.lua'), 1),
  /**
   * Settles one alert. KEYS: 1 alerts:due, 2 the alert hash. ARGV: 1 now, 2 delivered | dropped |
   * retry, 3 id, 4 retry delay ms, 5 error. Returns 1, or 0 when the alert is gone.
   */
  alertsSettle: script('runcap_alerts_settle_v1', luaFile('alerts-settle.lua'), 2),
  conversationGrow: script('runcap_conversation_grow_v1', luaFile('conversation-grow.lua'), 1),
} as const satisfies Record<string, LedgerScript>;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * EVALSHA, then EVAL when the server does not know the script yet (first use, restart,
 * failover to a replica that never saw it, SCRIPT FLUSH). EVAL caches it for next time.
 */
export async function runScript(
  client: RedisClient,
  entry: LedgerScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  if (keys.length < entry.numberOfKeys || keys.length > entry.numberOfKeys + entry.optionalKeys) {
    throw new Error(`${entry.name} takes ${entry.numberOfKeys} keys, got ${keys.length}`);
  }
  try {
    return await client.evalsha(entry.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(entry.lua, keys.length, ...keys, ...args);
  }
}
