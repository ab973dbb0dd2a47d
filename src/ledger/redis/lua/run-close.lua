
local now = now_ms(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'state', 'key_id')
if not f[1] then return {} end
if f[1] == 'open' then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closed', I(now))
  redis.call('ZREM', ARGV[2] .. 'runs:active:' .. f[2], ARGV[3])
end
return redis.call('HGETALL', KEYS[1])
