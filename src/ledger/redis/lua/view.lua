
local base = ARGV[1]
local now = now_ms(ARGV[2])
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local o = 3 + (i - 1) * 3
  local key = scope_key(ARGV[o + 1], ARGV[o + 3], ARGV[o + 2], now)
  local c = redis.call('HMGET', base .. 'scope:' .. key, 'committed', 'reserved')
  out[i] = { key, c[1] or '0', c[2] or '0' }
end
return { I(now), out }
