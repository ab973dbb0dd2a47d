
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local pairs_count = tonumber(ARGV[1])
if pairs_count > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * pairs_count)) end
if #ARGV > 1 + 2 * pairs_count then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * pairs_count)) end
return 1
