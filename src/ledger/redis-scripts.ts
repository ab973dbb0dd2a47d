// The registry of ledger Lua scripts: versioned names, their source (prelude + body),
// SHA1, key count, and the EVALSHA call with an EVAL fallback on NOSCRIPT. A script's
// behaviour never changes under the same name: edit it -> bump the _vN suffix.
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { LUA_PRELUDE } from './redis-lua-common.js';
import {
  DECISION_PATCH_LUA,
  DECISION_PUT_LUA,
  RUN_CLOSE_LUA,
  RUN_COUNT_LUA,
  RUN_OPEN_LUA,
} from './redis-lua-records.js';
import { RESERVE_LUA, VIEW_LUA } from './redis-lua-reserve.js';
import { COMMIT_LUA, EXPIRE_LUA, EXTEND_LUA, FORWARD_LUA, RELEASE_LUA } from './redis-lua-settle.js';

export type RedisClient = Redis | Cluster;

export interface LedgerScript {
  /** e.g. runcap_reserve_v1; also the first line of the source, so it is part of the SHA1. */
  readonly name: string;
  readonly lua: string;
  readonly sha1: string;
  readonly numberOfKeys: number;
}

function script(name: string, body: string, numberOfKeys: number): LedgerScript {
  const lua = `-- ${name}\n${LUA_PRELUDE}\n${body}`;
  return { name, lua, sha1: createHash('sha1').update(lua).digest('hex'), numberOfKeys };
}

export const SCRIPTS = {
  reserve: script('runcap_reserve_v2', RESERVE_LUA, 3),
  view: script('runcap_view_v1', VIEW_LUA, 1),
  forward: script('runcap_forward_v1', FORWARD_LUA, 3),
  extend: script('runcap_extend_v1', EXTEND_LUA, 3),
  commit: script('runcap_commit_v1', COMMIT_LUA, 3),
  release: script('runcap_release_v1', RELEASE_LUA, 3),
  expire: script('runcap_expire_v1', EXPIRE_LUA, 2),
  runOpen: script('runcap_run_open_v1', RUN_OPEN_LUA, 4),
  runClose: script('runcap_run_close_v1', RUN_CLOSE_LUA, 1),
  runCount: script('runcap_run_count_v1', RUN_COUNT_LUA, 1),
  decisionPut: script('runcap_decision_put_v1', DECISION_PUT_LUA, 1),
  decisionPatch: script('runcap_decision_patch_v1', DECISION_PATCH_LUA, 1),
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
  if (keys.length !== entry.numberOfKeys) {
    throw new Error(`${entry.name} takes ${entry.numberOfKeys} keys, got ${keys.length}`);
  }
  try {
    return await client.evalsha(entry.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(entry.lua, keys.length, ...keys, ...args);
  }
}
