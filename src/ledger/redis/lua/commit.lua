-- Brief reply (the ARGV after the thresholds is '1'): the caller made this reservation and knows
-- what never changes, so only the fields a transition can change come back, not all ~40.
local brief_at = ARGV[7] == '1' and 12 or 8
brief_at = brief_at + (tonumber(ARGV[brief_at] or '0') or 0) + 1
if ARGV[brief_at] == '1' then
  result = function(status)
    return { status, I(now), redis.call('HMGET', rkey, 'state', 'expires', 'settled', 'actual', 'overrun', 'usage',
      'tin', 'tout', 'tcached', 'treason') }
  end
end
if state == 'committed' or state == 'reconciled' then return result('unchanged') end
if state == 'released' then return illegal('commit') end
local amount = row.amount
local actual = tonumber(ARGV[5])
local scopes = scopes_of(rkey, row.sc)
-- Threshold alerts follow the token arguments.
local thresholds = alert_thresholds(ARGV[7] == '1' and 12 or 8)
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
  move_counters(base, scopes, actual - row.actual, amount, false, row.vb)
  if actual > row.actual then cross_thresholds(base, scopes, now, thresholds) end
  write('reconciled', row.settled)
  return result('changed')
end
move_counters(base, scopes, actual, amount, true, row.vb)
if actual > 0 then cross_thresholds(base, scopes, now, thresholds) end
write('committed', now)
retire(base, rkey, id, row, KEYS[2], KEYS[3], now, retention, true)
return result('changed')
