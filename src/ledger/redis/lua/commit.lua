-- The transition head (transition-head.lua) with the commit's reads merged: the row's fields and
-- the first three scopes' key and hold come back in one HMGET (scopes_of reads only the rest).
local base = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local retention = tonumber(ARGV[4])
local rkey = KEYS[1]
local f = redis.call('HMGET', rkey, 'state', 'amount', 'actual', 'settled', 'expires', 'sc', 'idem', 'run_id', 'vb',
  'sk1', 'sh1', 'sk2', 'sh2', 'sk3', 'sh3')
if not f[1] then return { 'error', 'reservation_not_found', 'reservation ' .. id .. ' does not exist' } end
local row = {
  state = f[1], amount = tonumber(f[2]), actual = f[3] and tonumber(f[3]) or nil, settled = f[4] and tonumber(f[4]) or nil,
  expires = tonumber(f[5]), sc = tonumber(f[6]), idem = f[7] or nil, run_id = f[8] or nil, vb = f[9] or nil,
}
local state = row.state
local function illegal(action, why)
  return { 'error', 'invalid_transition', 'cannot ' .. action .. ' reservation ' .. id .. ' in state ' .. state .. (why or '') }
end
local function result(status) return { status, I(now), redis.call('HGETALL', rkey) } end
-- Brief reply (the ARGV after the thresholds is '1'): the caller made this reservation and knows
-- what never changes, so only the fields a transition can change come back, not all ~40.
local has_tokens = ARGV[7] == '1'
local brief_at = has_tokens and 12 or 8
brief_at = brief_at + (tonumber(ARGV[brief_at] or '0') or 0) + 1
local brief = ARGV[brief_at] == '1'
if brief then
  result = function(status)
    return { status, I(now), redis.call('HMGET', rkey, 'state', 'expires', 'settled', 'actual', 'overrun', 'usage',
      'tin', 'tout', 'tcached', 'treason') }
  end
end
if state == 'committed' or state == 'reconciled' then return result('unchanged') end
if state == 'released' then return illegal('commit') end
local amount = row.amount
local actual = tonumber(ARGV[5])
local scopes = {}
for i = 1, math.min(row.sc, 3) do scopes[i] = { key = f[8 + 2 * i], held = f[9 + 2 * i] == '1' } end
if row.sc > 3 then
  local names = {}
  for i = 4, row.sc do
    names[#names + 1] = 'sk' .. i
    names[#names + 1] = 'sh' .. i
  end
  local more = redis.call('HMGET', rkey, unpack(names))
  for i = 4, row.sc do scopes[i] = { key = more[2 * i - 7], held = more[2 * i - 6] == '1' } end
end
-- Threshold alerts follow the token arguments.
local thresholds = alert_thresholds(has_tokens and 12 or 8)
local any_held = false
for _, s in ipairs(scopes) do if s.held then any_held = true end end
local overrun = 0
if any_held then overrun = math.max(0, actual - amount) end
-- One HSET with the tokens. A live reservation never has token fields (only a commit writes
-- them, and it leaves the live states); an expired one had them deleted when it expired.
local function write(next_state, settled_at)
  if has_tokens then
    redis.call('HSET', rkey, 'state', next_state, 'settled', I(settled_at), 'actual', I(actual), 'overrun', I(overrun),
      'usage', ARGV[6], 'tin', ARGV[8], 'tout', ARGV[9], 'tcached', ARGV[10], 'treason', ARGV[11])
  else
    redis.call('HSET', rkey, 'state', next_state, 'settled', I(settled_at), 'actual', I(actual), 'overrun', I(overrun),
      'usage', ARGV[6])
  end
end
if state == 'expired' then
  if row.actual == nil then return illegal('commit', ' (it expired before it was forwarded; its hold was released)') end
  -- The full hold was charged at expiry; replace that charge with the late actual.
  move_counters(base, scopes, actual - row.actual, amount, false, row.vb)
  if actual > row.actual then cross_thresholds(base, scopes, now, thresholds) end
  if not has_tokens then redis.call('HDEL', rkey, unpack(NO_TOKENS)) end
  write('reconciled', row.settled)
  return result('changed')
end
move_counters(base, scopes, actual, amount, true, row.vb)
if actual > 0 then cross_thresholds(base, scopes, now, thresholds) end
write('committed', now)
retire(base, rkey, id, row, KEYS[2], KEYS[3], now, retention, true)
if not brief then return result('changed') end
-- What the HMGET of a brief reply would read, known here without reading it back.
if has_tokens then
  return { 'changed', I(now), { 'committed', f[5], I(now), I(actual), I(overrun), ARGV[6], ARGV[8], ARGV[9], ARGV[10],
    ARGV[11] } }
end
return { 'changed', I(now), { 'committed', f[5], I(now), I(actual), I(overrun), ARGV[6], false, false, false, false } }
