// Lua of the reservation state machine (SPEC §3.3), one script per transition, each
// conditional on the stored state so repeats are no-ops and concurrent sweepers expire a
// reservation exactly once. Mirrors sqlite-settle.ts. Source text only.
//
// Transition scripts share KEYS: 1 reservation hash, 2 live set, 3 settled set; and ARGV:
// 1 tenant key base, 2 now ('' = TIME), 3 reservation id, 4 retention ms, 5.. per script.
// They return {'changed' | 'unchanged', now, reservation fields} or {'error', code, message}.

const TRANSITION_HEAD = String.raw`
local base = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local retention = tonumber(ARGV[4])
local rkey = KEYS[1]
local row = load_row(rkey)
if not row then return { 'error', 'reservation_not_found', 'reservation ' .. id .. ' does not exist' } end
local state = row.state
local function illegal(action, why)
  return { 'error', 'invalid_transition', 'cannot ' .. action .. ' reservation ' .. id .. ' in state ' .. state .. (why or '') }
end
local function result(status) return { status, I(now), redis.call('HGETALL', rkey) } end
`;

/** ARGV[5]: extend ttl ms, or '' to keep the expiry. */
export const FORWARD_LUA = `${TRANSITION_HEAD}
if state == 'forwarded' then return result('unchanged') end
if state ~= 'reserved' then return illegal('forward') end
local expires = row.expires
if ARGV[5] ~= '' then expires = math.max(expires, now + tonumber(ARGV[5])) end
redis.call('HSET', rkey, 'state', 'forwarded', 'expires', I(expires))
redis.call('ZADD', KEYS[2], I(expires), id)
return result('changed')
`;

/** ARGV[5]: ttl ms; the expiry becomes max(expiry, now + ttl). */
export const EXTEND_LUA = `${TRANSITION_HEAD}
if not LIVE[state] then return illegal('extend') end
local expires = math.max(row.expires, now + tonumber(ARGV[5]))
if expires == row.expires then return result('unchanged') end
redis.call('HSET', rkey, 'expires', I(expires))
redis.call('ZADD', KEYS[2], I(expires), id)
return result('changed')
`;

/** ARGV[5] actual, 6 usage source, 7 '1' when tokens follow, 8-11 input/output/cached/reasoning tokens. */
export const COMMIT_LUA = `${TRANSITION_HEAD}
if state == 'committed' or state == 'reconciled' then return result('unchanged') end
if state == 'released' then return illegal('commit') end
local amount = row.amount
local actual = tonumber(ARGV[5])
local scopes = scopes_of(rkey, row.sc)
local any_held = false
for _, s in ipairs(scopes) do if s.held then any_held = true end end
local overrun = 0
if any_held then overrun = math.max(0, actual - amount) end
local function write(next_state, settled_at)
  redis.call('HSET', rkey, 'state', next_state, 'settled', I(settled_at), 'actual', I(actual), 'overrun', I(overrun), 'usage', ARGV[6])
  if ARGV[7] == '1' then
    redis.call('HSET', rkey, 'tin', ARGV[8], 'tout', ARGV[9], 'tcached', ARGV[10], 'treason', ARGV[11])
  else
    redis.call('HDEL', rkey, unpack(NO_TOKENS))
  end
end
if state == 'expired' then
  if row.actual == nil then return illegal('commit', ' (it expired before it was forwarded; its hold was released)') end
  -- The full hold was charged at expiry; replace that charge with the late actual.
  move_counters(base, scopes, actual - row.actual, amount, false)
  write('reconciled', row.settled)
  return result('changed')
end
move_counters(base, scopes, actual, amount, true)
write('committed', now)
retire(base, rkey, id, row, KEYS[2], KEYS[3], now, retention, true)
return result('changed')
`;

export const RELEASE_LUA = `${TRANSITION_HEAD}
if state == 'released' then return result('unchanged') end
if not LIVE[state] then return illegal('release') end
move_counters(base, scopes_of(rkey, row.sc), 0, row.amount, true)
redis.call('HSET', rkey, 'state', 'released', 'settled', I(now), 'overrun', '0')
redis.call('HDEL', rkey, 'actual', 'usage', unpack(NO_TOKENS))
retire(base, rkey, id, row, KEYS[2], KEYS[3], now, retention, false)
return result('changed')
`;

/**
 * Expires one batch of a tenant's due reservations (expiresAt <= now - skew).
 * KEYS: 1 live set, 2 settled set. ARGV: 1 tenant key base, 2 now, 3 skew tolerance ms,
 * 4 batch size, 5 retention ms. Returns {now, ids scanned, {{charged '0'|'1', fields}...}}.
 */
export const EXPIRE_LUA = String.raw`
local base = ARGV[1]
local now = now_ms(ARGV[2])
local due = now - tonumber(ARGV[3])
local retention = tonumber(ARGV[5])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', I(due), 'LIMIT', '0', ARGV[4])
local out = {}
for _, id in ipairs(ids) do
  local rkey = base .. 'rsv:' .. id
  local row = load_row(rkey)
  if row and LIVE[row.state] and row.expires <= due then
    local charged = row.state == 'forwarded'
    local amount = row.amount
    redis.call('HSET', rkey, 'state', 'expired', 'settled', I(now), 'overrun', '0')
    if charged then
      redis.call('HSET', rkey, 'actual', I(amount), 'usage', 'expired')
    else
      redis.call('HDEL', rkey, 'actual', 'usage')
    end
    redis.call('HDEL', rkey, unpack(NO_TOKENS))
    local committed_delta = 0
    if charged then committed_delta = amount end
    move_counters(base, scopes_of(rkey, row.sc), committed_delta, amount, true)
    retire(base, rkey, id, row, KEYS[1], KEYS[2], now, retention, charged)
    out[#out + 1] = { charged and '1' or '0', redis.call('HGETALL', rkey) }
  elseif row and LIVE[row.state] then
    redis.call('ZADD', KEYS[1], I(row.expires), id)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return { I(now), I(#ids), out }
`;
