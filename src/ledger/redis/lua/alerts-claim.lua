local base = ARGV[1]
local now = now_ms(ARGV[2])
local lease = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', I(now), 'LIMIT', '0', ARGV[4])
local out = {}
for _, id in ipairs(ids) do
  local fields = redis.call('HGETALL', base .. 'alert:' .. id)
  if #fields == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], I(now + lease), id)
    out[#out + 1] = { id, fields }
  end
end
return out
