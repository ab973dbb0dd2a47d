
local base = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local amount = tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local has_idem = ARGV[9] == '1'
local retention = tonumber(ARGV[18])
local initial = ARGV[19]
local n = tonumber(ARGV[20])

local specs = {}
for i = 1, n do
  local o = 20 + (i - 1) * 6
  local limit = ARGV[o + 4]
  specs[i] = {
    stype = ARGV[o + 1], id = ARGV[o + 2], window = ARGV[o + 3],
    limit = (limit ~= '-') and tonumber(limit) or nil, limit_text = limit,
    mode = ARGV[o + 5], margin = tonumber(ARGV[o + 6]),
  }
  specs[i].key = scope_key(specs[i].stype, specs[i].window, specs[i].id, now)
  specs[i].skey = base .. 'scope:' .. specs[i].key
end

-- Also reads the stored limit and mode, so a bucket whose ceiling did not change is not rewritten.
local function read_counters()
  local out = {}
  for i, s in ipairs(specs) do
    local c = redis.call('HMGET', s.skey, 'committed', 'reserved', 'limit', 'mode')
    s.exists = c[1] ~= false
    s.committed = tonumber(c[1] or '0')
    s.reserved = tonumber(c[2] or '0')
    s.same = c[3] == s.limit_text and c[4] == s.mode
    out[i] = { s.key, c[1] or '0', c[2] or '0' }
  end
  return out
end

-- The run check (ARGV after the brakes: run id, '' = none; key id), for a caller that did not
-- open the run for this call: the run must still be the caller's, open and active, and every run
-- scope (the run and its ancestors) open with the ceiling it is held against stored on it;
-- otherwise nothing is written and the caller opens the run again. Passed, it records the run's
-- activity as opening it would, at the SQLite store's granularity (sqlite/runs.ts
-- touchGranularityMs: 1/1000 of the idle TTL, at most a minute): a run used again sooner is not
-- rewritten (before any outcome, as opening did).
local rc = 20 + n * 6 + 4
local check_run = ARGV[rc + 1] or ''
if check_run ~= '' then
  local check_key = ARGV[rc + 2]
  local rkey = base .. 'run:' .. check_run
  local r = redis.call('HMGET', rkey, 'key_id', 'state', 'last', 'idle_ttl', 'limit')
  local last, idle = tonumber(r[3]), tonumber(r[4])
  if r[1] ~= check_key or r[2] ~= 'open' or not (last + idle > now) then
    return { 'run_changed', I(now) }
  end
  for _, s in ipairs(specs) do
    if s.stype == 'run' then
      -- The checked run itself was read above; an ancestor is read here.
      local f = { r[2], r[5] }
      if s.id ~= check_run then f = redis.call('HMGET', base .. 'run:' .. s.id, 'state', 'limit') end
      if f[1] ~= 'open' or f[2] ~= s.limit_text then return { 'run_changed', I(now) } end
    end
  end
  if now - last >= math.min(60000, math.floor(idle / 1000)) then
    redis.call('HSET', rkey, 'last', I(now))
    redis.call('ZADD', base .. 'runs:active:' .. check_key, I(now + idle), check_run)
    redis.call('ZADD', base .. 'runs:all', I(now), check_run)
    redis.call('ZADD', base .. 'runs:bykey:' .. check_key, I(now), check_run)
  end
end

local function reused(rkey)
  return { 'reused', I(now), redis.call('HGETALL', rkey), read_counters() }
end

local state = redis.call('HGET', KEYS[1], 'state')
if state then
  if LIVE[state] then return reused(KEYS[1]) end
  return { 'error', 'invalid_transition', 'reservation id ' .. id .. ' is already used (' .. state .. ')' }
end
if has_idem then
  local existing = redis.call('GET', KEYS[3])
  if existing then
    local ekey = base .. 'rsv:' .. existing
    local estate = redis.call('HGET', ekey, 'state')
    if estate and LIVE[estate] then return reused(ekey) end
  end
end

-- scope-rules.ts judgeScope: holds, blocks.
local function judge(s)
  if s.limit == nil then return false, false end
  local available = s.limit - s.committed - s.reserved
  if s.mode == 'hard_gate' then return true, amount > available end
  if s.mode == 'soft_gate' then return true, amount > available + s.margin end
  if s.mode == 'actuals_only' then return false, s.committed >= s.limit end
  return false, false
end

-- Brakes (brake-rules.ts), after the scopes: velocity limit ('-' = none), loop run id ('' = none),
-- loop step hash, loop max repeats.
local bo = 20 + n * 6
-- All four (and the run check after them) may be left off: no brakes, no run check.
local vel_limit = ((ARGV[bo + 1] or '-') ~= '-') and tonumber(ARGV[bo + 1]) or nil
local loop_run = ARGV[bo + 2] or ''
local loop_hash = ARGV[bo + 3]
local loop_max = tonumber(ARGV[bo + 4])

local counters = read_counters()

-- The loop brake, before the ceilings: more than loop_max repeats in a row of one step.
local loop_repeats = nil
local steps_key = base .. 'steps:' .. loop_run
if loop_run ~= '' then
  local st = redis.call('HMGET', steps_key, 'h', 'n')
  loop_repeats = 0
  if st[1] and st[1] == loop_hash then loop_repeats = tonumber(st[2]) + 1 end
  local loop_mode = 'hard_gate'
  for _, s in ipairs(specs) do
    if s.stype == 'run' and s.id == loop_run then loop_mode = s.mode end
  end
  if loop_mode ~= 'advisory_estimate' and loop_repeats > loop_max then
    return { 'braked', I(now), {}, counters, { 'loop', loop_run, I(loop_repeats), I(loop_max) } }
  end
end

local blocked = false
for _, s in ipairs(specs) do
  s.holds, s.blocks = judge(s)
  if s.blocks then blocked = true end
end
if blocked then return { 'blocked', I(now), {}, counters } end

-- The velocity brake, after the ceilings, over every run scope (the run and its ancestors):
-- per-second buckets of committed + reserved spend, those of the trailing window summed.
local VEL_WINDOW = 60000
local VEL_BUCKET = 1000
local vel_bucket = math.floor(now / VEL_BUCKET) * VEL_BUCKET
local vel_oldest = vel_bucket - VEL_WINDOW
if vel_limit then
  local full = {}
  for _, s in ipairs(specs) do
    if s.stype == 'run' then
      s.vkey = base .. 'vel:' .. s.id
      s.vstale = {}
      local flat = redis.call('HGETALL', s.vkey)
      local kept = {}
      local spent = 0
      for i = 1, #flat, 2 do
        if tonumber(flat[i]) >= vel_oldest then
          spent = spent + tonumber(flat[i + 1])
          kept[#kept + 1] = flat[i]
          kept[#kept + 1] = flat[i + 1]
        else
          s.vstale[#s.vstale + 1] = flat[i]
        end
      end
      local blocks = false
      if s.mode == 'hard_gate' or s.mode == 'soft_gate' then blocks = spent + amount > vel_limit end
      if s.mode == 'actuals_only' then blocks = spent >= vel_limit end
      if blocks then full[#full + 1] = { s.id, I(spent), kept } end
    end
  end
  if #full > 0 then return { 'braked', I(now), {}, counters, { 'velocity', I(vel_limit), full } } end
end

-- Standalone Redis: the id -> tenant entry (KEYS[4]) is claimed here, atomically with the hold
-- (on Cluster it is in another slot and ledger.ts claims it beside the script). An id another
-- tenant holds writes nothing. Its TTL is ledger.ts's: the hold's TTL + retention + one day.
if KEYS[4] then
  local owner = redis.call('SET', KEYS[4], ARGV[4], 'PX', I(ttl + retention + 86400000), 'NX', 'GET')
  if owner and owner ~= ARGV[4] then
    return { 'error', 'invalid_transition', 'reservation id ' .. id .. ' is already used (by another tenant)' }
  end
end

local fields = {
  'id', id, 'tenant', ARGV[4], 'decision_id', ARGV[5], 'amount', I(amount), 'state', initial,
  'model', ARGV[10], 'ptv', ARGV[11], 'key_id', ARGV[13], 'endpoint', ARGV[17],
  'created', I(now), 'expires', I(now + ttl), 'overrun', '0', 'sc', I(n),
}
local nf = #fields
local function field(name, value)
  fields[nf + 1] = name
  fields[nf + 2] = value
  nf = nf + 2
end
if vel_limit then field('vb', I(vel_bucket)) end
if has_idem then field('idem', ARGV[8]) end
local function nullable(name, arg)
  local value = nul(arg)
  if value ~= nil then field(name, value) end
end
nullable('run_id', ARGV[12])
nullable('user_id', ARGV[14])
nullable('team_id', ARGV[15])
nullable('feature', ARGV[16])
for i, s in ipairs(specs) do
  field('sk' .. i, s.key)
  field('st' .. i, s.stype)
  field('si' .. i, s.id)
  field('sh' .. i, s.holds and '1' or '0')
end
redis.call('HSET', KEYS[1], unpack(fields))

for _, s in ipairs(specs) do
  local start = window_start(s.window, now)
  local hold = 0
  if s.holds then hold = amount end
  -- Counters are read above in this same script, so "new bucket" is known without HSETNX.
  if s.exists then
    if not s.same then redis.call('HSET', s.skey, 'limit', s.limit_text, 'mode', s.mode) end
    if hold ~= 0 then redis.call('HINCRBY', s.skey, 'reserved', I(hold)) end
  else
    redis.call('HSET', s.skey, 'committed', '0', 'reserved', I(hold), 'type', s.stype, 'id', s.id, 'window', s.window,
      'window_start', start and I(start) or '-', 'limit', s.limit_text, 'mode', s.mode)
    -- A windowed bucket outlives its window by the retention period, then goes by itself.
    local finish = window_end(s.window, now)
    if finish then redis.call('PEXPIRE', s.skey, I(finish - now + retention)) end
  end
  -- An attribution-only scope (no ceiling, no window, not a run) goes one retention period after its last use.
  if s.limit == nil and s.window == 'none' and s.stype ~= 'run' then redis.call('PEXPIRE', s.skey, I(retention)) end
end
if vel_limit then
  for _, s in ipairs(specs) do
    if s.vkey then
      if #s.vstale > 0 then redis.call('HDEL', s.vkey, unpack(s.vstale)) end
      local hold = 0
      if s.holds then hold = amount end
      redis.call('HINCRBY', s.vkey, I(vel_bucket), I(hold))
      -- Kept while in the window; a settlement after that finds the second gone and leaves it.
      redis.call('PEXPIRE', s.vkey, I(VEL_WINDOW + 2 * VEL_BUCKET))
    end
  end
end
if loop_repeats then
  redis.call('HSET', steps_key, 'h', loop_hash, 'n', I(loop_repeats))
  redis.call('PEXPIRE', steps_key, I(retention))
end
redis.call('ZADD', KEYS[2], I(now + ttl), id)
if has_idem then redis.call('SET', KEYS[3], id) end
-- The caller builds the new reservation from its own request and "now": no copy is sent back.
return { 'reserved', I(now), {}, counters }
