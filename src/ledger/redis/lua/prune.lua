local base = ARGV[1]
local before = tonumber(ARGV[2])
local batch = ARGV[3]
local reservations, runs, scopes, kept = 0, 0, 0, 0
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. I(before), 'LIMIT', '0', batch)
for _, id in ipairs(ids) do
  local rkey = base .. 'rsv:' .. id
  local run_id = redis.call('HGET', rkey, 'run_id')
  reservations = reservations + redis.call('DEL', rkey)
  redis.call('ZREM', KEYS[2], id)
  if run_id then redis.call('ZREM', base .. 'settled:run:' .. run_id, id) end
end
-- Runs last active before the cutoff are the candidates; those closed since, or holding a hold, stay.
local candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. I(before), 'LIMIT', ARGV[4], batch)
for _, run_id in ipairs(candidates) do
  local hash = base .. 'run:' .. run_id
  local f = redis.call('HMGET', hash, 'key_id', 'last', 'closed')
  if not f[1] then
    redis.call('ZREM', KEYS[1], run_id)
  else
    local skey = base .. 'scope:run|none|-|' .. run_id
    local reserved = tonumber(redis.call('HGET', skey, 'reserved') or '0')
    -- A parent stays while any of its sub-agent runs does: their calls hold against its ceiling.
    local children = redis.call('ZCARD', base .. 'runs:children:' .. run_id)
    if math.max(tonumber(f[2]), tonumber(f[3] or '0')) >= before or reserved > 0 or children > 0 then
      kept = kept + 1
    else
      local parent = redis.call('HGET', hash, 'parent')
      if parent then redis.call('ZREM', base .. 'runs:children:' .. parent, run_id) end
      redis.call('DEL', hash, base .. 'settled:run:' .. run_id, base .. 'steps:' .. run_id, base .. 'vel:' .. run_id,
        base .. 'runlimits:' .. run_id, base .. 'decisions:run:' .. run_id, base .. 'alerted:' .. run_id)
      scopes = scopes + redis.call('DEL', skey)
      redis.call('ZREM', KEYS[1], run_id)
      redis.call('ZREM', base .. 'runs:bykey:' .. f[1], run_id)
      redis.call('ZREM', base .. 'runs:active:' .. f[1], run_id)
      runs = runs + 1
    end
  end
end
return { I(reservations), I(runs), I(scopes), I(kept), I(#candidates) }
