
local now = now_ms(ARGV[1])
local hash = KEYS[1]
local max_active = tonumber(ARGV[7])
local function count_active()
  -- Entries at or below now are idle runs; they re-enter when used again.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', I(now))
  return redis.call('ZCARD', KEYS[2])
end
local existing = redis.call('HMGET', hash, 'key_id', 'state', 'last', 'idle_ttl')
if existing[1] then
  if existing[1] ~= ARGV[4] then return { 'principal_mismatch' } end
  if ARGV[9] == '1' then return { 'exists', redis.call('HGETALL', hash) } end
  if existing[2] == 'closed' then return { 'existing', redis.call('HGETALL', hash) } end
  local last = tonumber(existing[3])
  local idle = tonumber(existing[4])
  if not (last + idle > now) then
    -- An idle run coming back counts against the cap like a new one.
    local active = count_active()
    if active >= max_active then return { 'too_many_active', I(active) } end
  end
  local touched = math.max(last, now)
  redis.call('HSET', hash, 'last', I(touched))
  redis.call('ZADD', KEYS[2], I(touched + idle), ARGV[3])
  return { 'existing', redis.call('HGETALL', hash) }
end
local active = count_active()
if active >= max_active then return { 'too_many_active', I(active) } end
redis.call('HSET', hash, 'tenant', ARGV[2], 'run_id', ARGV[3], 'key_id', ARGV[4], 'limit', ARGV[5], 'state', 'open',
  'tags', ARGV[8], 'idle_ttl', ARGV[6], 'created', I(now), 'last', I(now))
redis.call('ZADD', KEYS[2], I(now + tonumber(ARGV[6])), ARGV[3])
redis.call('ZADD', KEYS[3], I(now), ARGV[3])
redis.call('ZADD', KEYS[4], I(now), ARGV[3])
return { 'created', redis.call('HGETALL', hash) }
