
-- Threshold alerts (docs/design.md §12; the arithmetic mirrors ../../alert-rules.ts). After a
-- commit or a charged expiry moved the counters, each run scope whose committed spend reached a
-- threshold of the run's current ceiling queues one alert, once per (run, threshold, ceiling):
-- the field `<bp>:<limit>` of `alerted:<run>` is the guard, `alert:<n>` the event and
-- `alerts:due` (score = next attempt) the deliverer's work list.
local ALERT_BP = 10000
local function threshold_micros(limit, bp)
  local whole = math.floor(limit / ALERT_BP)
  local rest = limit - whole * ALERT_BP
  return whole * bp + math.ceil(rest * bp / ALERT_BP)
end
-- The basis points passed as ARGV[at] = count, then the values.
local function alert_thresholds(at)
  local out = {}
  local n = tonumber(ARGV[at] or '0') or 0
  for i = 1, n do out[#out + 1] = tonumber(ARGV[at + i]) end
  return out
end
local function cross_thresholds(base, scopes, now, bps)
  if #bps == 0 then return end
  for _, s in ipairs(scopes) do
    local run_id = string.match(s.key, '^run|[^|]*|[^|]*|(.*)$')
    if run_id then
      local f = redis.call('HMGET', base .. 'run:' .. run_id, 'limit', 'key_id')
      local limit = tonumber(f[1] or '0')
      if f[2] and limit > 0 then
        local committed = tonumber(redis.call('HGET', base .. 'scope:' .. s.key, 'committed') or '0')
        for _, bp in ipairs(bps) do
          if committed >= threshold_micros(limit, bp) and
              redis.call('HSETNX', base .. 'alerted:' .. run_id, I(bp) .. ':' .. I(limit), I(now)) == 1 then
            local n = redis.call('INCR', base .. 'alerts:seq')
            redis.call('HSET', base .. 'alert:' .. n, 'run_id', run_id, 'key_id', f[2], 'bp', I(bp), 'limit', I(limit),
              'committed', I(committed), 'at', I(now), 'attempts', '0')
            redis.call('ZADD', base .. 'alerts:due', I(now), n)
          end
        end
      end
    end
  end
end
