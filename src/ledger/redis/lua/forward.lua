if state == 'forwarded' then return result('unchanged') end
if state ~= 'reserved' then return illegal('forward') end
local expires = row.expires
if ARGV[5] ~= '' then expires = math.max(expires, now + tonumber(ARGV[5])) end
redis.call('HSET', rkey, 'state', 'forwarded', 'expires', I(expires))
redis.call('ZADD', KEYS[2], I(expires), id)
return result('changed')
