local now = now_ms(ARGV[1])
local action = ARGV[2]
local id = ARGV[3]
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], id)
  return 0
end
if action == 'retry' then
  redis.call('HINCRBY', KEYS[2], 'attempts', 1)
  redis.call('HSET', KEYS[2], 'error', ARGV[5])
  redis.call('ZADD', KEYS[1], I(now + tonumber(ARGV[4])), id)
else
  -- Delivered or dropped: the event goes; the `alerted:<run>` guard keeps the threshold from firing again.
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', KEYS[2])
end
return 1
