
local function I(n) return string.format('%d', n) end

-- "now" in epoch ms: the caller's explicit time (tests, expireDue(nowMs)) or Redis TIME.
local function now_ms(arg)
  if arg ~= nil and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Nullable strings travel as '-' (null) or '+<value>'.
local function nul(s)
  if s == '-' then return nil end
  return string.sub(s, 2)
end

local HOUR = 3600000
local DAY = 86400000
local FIXED = { ['1h'] = HOUR, ['1d'] = DAY, ['7d'] = 7 * DAY, ['30d'] = 30 * DAY }

-- Days since 1970-01-01 -> proleptic Gregorian y, m, d (H. Hinnant's civil_from_days).
local function civil_from_days(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m - 3
  if m <= 2 then mp = m + 9 end
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function window_start(w, now)
  if w == 'none' then return nil end
  if w == 'month' then
    local y, m = civil_from_days(math.floor(now / DAY))
    return days_from_civil(y, m, 1) * DAY
  end
  local len = FIXED[w]
  return math.floor(now / len) * len
end

local function window_end(w, now)
  if w == 'none' then return nil end
  if w == 'month' then
    local y, m = civil_from_days(math.floor(now / DAY))
    m = m + 1
    if m > 12 then m = 1; y = y + 1 end
    return days_from_civil(y, m, 1) * DAY
  end
  local len = FIXED[w]
  return (math.floor(now / len) + 1) * len
end

local function bucket_label(w, start)
  if start == nil then return '-' end
  local days = math.floor(start / DAY)
  local y, m, d = civil_from_days(days)
  if w == 'month' then return string.format('%04d-%02d', y, m) end
  if w == '1h' then return string.format('%04d-%02d-%02dT%02d', y, m, d, math.floor((start - days * DAY) / HOUR)) end
  return string.format('%04d-%02d-%02d', y, m, d)
end

-- type|window|bucket|id, exactly as windows.ts scopeKey().
local function scope_key(stype, w, id, now)
  return stype .. '|' .. w .. '|' .. bucket_label(w, window_start(w, now)) .. '|' .. id
end

local LIVE = { reserved = true, forwarded = true }

-- The fields every transition reads, in one HMGET; nil when the reservation does not exist.
local function load_row(rkey)
  local f = redis.call('HMGET', rkey, 'state', 'amount', 'actual', 'settled', 'expires', 'sc', 'idem', 'run_id', 'vb')
  if not f[1] then return nil end
  return {
    state = f[1], amount = tonumber(f[2]), actual = f[3] and tonumber(f[3]) or nil, settled = f[4] and tonumber(f[4]) or nil,
    expires = tonumber(f[5]), sc = tonumber(f[6]), idem = f[7] or nil, run_id = f[8] or nil, vb = f[9] or nil,
  }
end

-- The scopes a reservation recorded: key and whether its reserved counter carries the hold.
local function scopes_of(rkey, n)
  if n == 0 then return {} end
  local names = {}
  for i = 1, n do
    names[#names + 1] = 'sk' .. i
    names[#names + 1] = 'sh' .. i
  end
  local f = redis.call('HMGET', rkey, unpack(names))
  local list = {}
  for i = 1, n do list[i] = { key = f[2 * i - 1], held = f[2 * i] == '1' } end
  return list
end

-- committed += committed_delta on every scope; held scopes give back the hold when asked.
-- A windowed bucket that no longer exists (expired with its window) is left alone, as
-- SQLite's UPDATE of a missing row does; window "none" buckets never expire.
-- A reservation made under the velocity brake (vb: its second) moves that second's counter
-- of each of its run scopes the same way, while the second is still kept (brake-rules.ts).
local function move_counters(base, scopes, committed_delta, amount, release_hold, vb)
  for _, s in ipairs(scopes) do
    local reserved_delta = 0
    if release_hold and s.held then reserved_delta = -amount end
    if committed_delta ~= 0 or reserved_delta ~= 0 then
      local k = base .. 'scope:' .. s.key
      if string.match(s.key, '^[^|]*|([^|]*)|') == 'none' or redis.call('EXISTS', k) == 1 then
        if committed_delta ~= 0 then redis.call('HINCRBY', k, 'committed', I(committed_delta)) end
        if reserved_delta ~= 0 then redis.call('HINCRBY', k, 'reserved', I(reserved_delta)) end
      end
      local run_id = vb and string.match(s.key, '^run|[^|]*|[^|]*|(.*)$')
      if run_id then
        local vk = base .. 'vel:' .. run_id
        if redis.call('HEXISTS', vk, vb) == 1 then redis.call('HINCRBY', vk, vb, I(committed_delta + reserved_delta)) end
      end
    end
  end
end

-- Leaves the live set: off the sweeper's list, idempotency key freed, kept for the
-- retention window; a charged one joins the tenant's (and its run's) settled set.
local function retire(base, rkey, id, row, live, settled, now, retention, charged)
  redis.call('ZREM', live, id)
  if row.idem then
    local ikey = base .. 'idem:' .. row.idem
    if redis.call('GET', ikey) == id then redis.call('DEL', ikey) end
  end
  if charged then
    redis.call('ZADD', settled, I(now), id)
    redis.call('ZREMRANGEBYSCORE', settled, '-inf', '(' .. I(now - retention))
    if row.run_id then
      -- The run's own settled set: one run's spend without reading the tenant's.
      local run_settled = base .. 'settled:run:' .. row.run_id
      redis.call('ZADD', run_settled, I(now), id)
      redis.call('ZREMRANGEBYSCORE', run_settled, '-inf', '(' .. I(now - retention))
      redis.call('PEXPIRE', run_settled, I(retention))
    end
  end
  redis.call('PEXPIRE', rkey, I(retention))
end

local NO_TOKENS = { 'tin', 'tout', 'tcached', 'treason' }
