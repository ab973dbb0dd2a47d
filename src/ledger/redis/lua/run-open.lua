
local now = now_ms(ARGV[1])
local hash = KEYS[1]
local max_active = tonumber(ARGV[7])
local parent_id = ARGV[10]
local max_depth = tonumber(ARGV[12])
local base = ARGV[13]
local function run_key(id) return base .. 'run:' .. id end
local function count_active()
  -- Entries at or below now are idle runs; they re-enter when used again.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', I(now))
  return redis.call('ZCARD', KEYS[2])
end
-- Parent first, up to the root, as {run id, limit, state}; the depth bound also stops a loop.
local function ancestors(first)
  local out = {}
  local id = first
  while id and id ~= '' and #out < max_depth do
    local f = redis.call('HMGET', run_key(id), 'run_id', 'limit', 'state', 'parent')
    if not f[1] then break end
    out[#out + 1] = { f[1], f[2], f[3] }
    id = f[4]
  end
  return out
end
-- The named parent's fields {key id, state, depth, limit}, or why it cannot be one.
local function parent_of(id)
  local f = redis.call('HMGET', run_key(id), 'key_id', 'state', 'depth', 'limit')
  if not f[1] then return nil, 'parent_not_found' end
  if f[1] ~= ARGV[4] then return nil, 'parent_principal_mismatch' end
  return f, nil
end

local existing = redis.call('HMGET', hash, 'key_id', 'state', 'last', 'idle_ttl', 'parent')
if existing[1] then
  if existing[1] ~= ARGV[4] then return { 'principal_mismatch' } end
  if ARGV[9] == '1' then return { 'exists', redis.call('HGETALL', hash) } end
  local current = existing[5] or ''
  if parent_id ~= '' and parent_id ~= current then
    local _, refusal = parent_of(parent_id)
    if refusal then return { refusal } end
    if parent_id == ARGV[3] then return { 'cycle', current } end
    for _, a in ipairs(ancestors(parent_id)) do
      if a[1] == ARGV[3] then return { 'cycle', current } end
    end
    return { 'parent_conflict', current }
  end
  if existing[2] == 'closed' then return { 'existing', redis.call('HGETALL', hash), ancestors(current) } end
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
  -- The listings (and retention's candidates) order runs by last activity.
  redis.call('ZADD', KEYS[3], I(touched), ARGV[3])
  redis.call('ZADD', KEYS[4], I(touched), ARGV[3])
  return { 'existing', redis.call('HGETALL', hash), ancestors(current) }
end

local depth = 0
local limit = ARGV[5]
if parent_id ~= '' then
  if parent_id == ARGV[3] then return { 'cycle', '' } end
  local parent, refusal = parent_of(parent_id)
  if refusal then return { refusal } end
  if parent[2] == 'closed' then return { 'parent_closed' } end
  depth = tonumber(parent[3] or '0') + 1
  if depth > max_depth then return { 'too_deep' } end
  if ARGV[11] == '1' then
    -- The child's ceiling defaults to what the parent has left now.
    local c = redis.call('HMGET', base .. 'scope:' .. scope_key('run', 'none', parent_id, now), 'committed', 'reserved')
    local remaining = tonumber(parent[4]) - tonumber(c[1] or '0') - tonumber(c[2] or '0')
    limit = I(math.max(0, math.min(tonumber(ARGV[5]), remaining)))
  end
end
local active = count_active()
if active >= max_active then return { 'too_many_active', I(active) } end
redis.call('HSET', hash, 'tenant', ARGV[2], 'run_id', ARGV[3], 'key_id', ARGV[4], 'limit', limit, 'state', 'open',
  'tags', ARGV[8], 'idle_ttl', ARGV[6], 'created', I(now), 'last', I(now), 'depth', I(depth))
if parent_id ~= '' then
  redis.call('HSET', hash, 'parent', parent_id)
  redis.call('ZADD', base .. 'runs:children:' .. parent_id, I(now), ARGV[3])
end
redis.call('ZADD', KEYS[2], I(now + tonumber(ARGV[6])), ARGV[3])
redis.call('ZADD', KEYS[3], I(now), ARGV[3])
redis.call('ZADD', KEYS[4], I(now), ARGV[3])
return { 'created', redis.call('HGETALL', hash), ancestors(parent_id) }
