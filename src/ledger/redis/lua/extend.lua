if not LIVE[state] then return illegal('extend') end
local expires = math.max(row.expires, now + tonumber(ARGV[5]))
if expires == row.expires then return result('unchanged') end
redis.call('HSET', rkey, 'expires', I(expires))
redis.call('ZADD', KEYS[2], I(expires), id)
return result('changed')
