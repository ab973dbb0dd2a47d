// Lua of the bookkeeping beside the money ledger: run binding with the active-run cap
// (mirrors sqlite-runs.ts), run close/count, and decision records stored as hashes (one
// field per top-level record key, so a shallow patch is an HSET). Source text only.

/**
 * KEYS: 1 run hash, 2 the key's active-run set (score = lastActivity + idleTtl), 3 all runs
 * by creation, 4 the key's runs by creation.
 * ARGV: 1 now, 2 tenant, 3 run id, 4 key id, 5 limit, 6 idle ttl, 7 max active per key,
 * 8 tags JSON, 9 create-only '1'|'0'.
 * Returns {kind, run fields} (created | existing | exists), {'principal_mismatch'} or
 * {'too_many_active', count}.
 */
export const RUN_OPEN_LUA = String.raw`
local now = now_ms(ARGV[1])
local hash = KEYS[1]
local max_active = tonumber(ARGV[7])
local function count_active()
  -- Entries at or below now are idle runs; they re-enter when used again.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', I(now))
  return redis.call('ZCARD', KEYS[2])
end
local existing = redis.call('HMGET', hash, 'key_id', 'state', 'last', 'idle_ttl')
if existing[1] then
  if existing[1] ~= ARGV[4] then return { 'principal_mismatch' } end
  if ARGV[9] == '1' then return { 'exists', redis.call('HGETALL', hash) } end
  if existing[2] == 'closed' then return { 'existing', redis.call('HGETALL', hash) } end
  local last = tonumber(existing[3])
  local idle = tonumber(existing[4])
  if not (last + idle > now) then
    -- An idle run coming back counts against the cap like a new one.
    local active = count_active()
    if active >= max_active then return { 'too_many_active', I(active) } end
  end
  local touched = math.max(last, now)
  redis.call('HSET', hash, 'last', I(touched))
  redis.call('ZADD', KEYS[2], I(touched + idle), ARGV[3])
  return { 'existing', redis.call('HGETALL', hash) }
end
local active = count_active()
if active >= max_active then return { 'too_many_active', I(active) } end
redis.call('HSET', hash, 'tenant', ARGV[2], 'run_id', ARGV[3], 'key_id', ARGV[4], 'limit', ARGV[5], 'state', 'open',
  'tags', ARGV[8], 'idle_ttl', ARGV[6], 'created', I(now), 'last', I(now))
redis.call('ZADD', KEYS[2], I(now + tonumber(ARGV[6])), ARGV[3])
redis.call('ZADD', KEYS[3], I(now), ARGV[3])
redis.call('ZADD', KEYS[4], I(now), ARGV[3])
return { 'created', redis.call('HGETALL', hash) }
`;

/**
 * KEYS: 1 run hash. ARGV: 1 now, 2 tenant key base, 3 run id.
 * Returns the run fields after closing (empty when the run does not exist).
 */
export const RUN_CLOSE_LUA = String.raw`
local now = now_ms(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'state', 'key_id')
if not f[1] then return {} end
if f[1] == 'open' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', I(now))
  redis.call('ZREM', ARGV[2] .. 'runs:active:' .. f[2], ARGV[3])
end
return redis.call('HGETALL', KEYS[1])
`;

/** KEYS: 1 the key's active-run set. ARGV: 1 now. Returns how many runs are active. */
export const RUN_COUNT_LUA = String.raw`
local now = now_ms(ARGV[1])
return I(redis.call('ZCOUNT', KEYS[1], '(' .. I(now), '+inf'))
`;

/** Replaces a decision. KEYS: 1 decision hash. ARGV: 1 ttl ms, then field/value pairs. */
export const DECISION_PUT_LUA = String.raw`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * Shallow-merges into an existing decision; a missing one stays missing.
 * KEYS: 1 decision hash. ARGV: 1 number of field/value pairs to set, the pairs, then
 * fields to delete (keys patched to undefined, which JSON drops).
 */
export const DECISION_PATCH_LUA = String.raw`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local pairs_count = tonumber(ARGV[1])
if pairs_count > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * pairs_count)) end
if #ARGV > 1 + 2 * pairs_count then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * pairs_count)) end
return 1
`;
