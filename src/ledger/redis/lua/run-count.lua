
local now = now_ms(ARGV[1])
return I(redis.call('ZCOUNT', KEYS[1], '(' .. I(now), '+inf'))
