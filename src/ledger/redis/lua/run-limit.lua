
local now = now_ms(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'state', 'limit')
if not f[1] then return { 'not_found' } end
if f[1] == 'closed' then return { 'closed', redis.call('HGETALL', KEYS[1]) } end
redis.call('HSET', KEYS[1], 'limit', ARGV[2])
redis.call('RPUSH', KEYS[2], cjson.encode({ at = I(now), by = ARGV[3], from = f[2], to = ARGV[2] }))
return { 'changed', redis.call('HGETALL', KEYS[1]), I(now), f[2] }
