
local base = ARGV[1]
local now = now_ms(ARGV[2])
local due = now - tonumber(ARGV[3])
local retention = tonumber(ARGV[5])
local thresholds = alert_thresholds(6)
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
    local scopes = scopes_of(rkey, row.sc)
    move_counters(base, scopes, committed_delta, amount, true, row.vb)
    if committed_delta > 0 then cross_thresholds(base, scopes, now, thresholds) end
    retire(base, rkey, id, row, KEYS[1], KEYS[2], now, retention, charged)
    out[#out + 1] = { charged and '1' or '0', redis.call('HGETALL', rkey) }
  elseif row and LIVE[row.state] then
    redis.call('ZADD', KEYS[1], I(row.expires), id)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return { I(now), I(#ids), out }
