
local base = ARGV[1]
local now = now_ms(ARGV[2])
local id = ARGV[3]
local retention = tonumber(ARGV[4])
local rkey = KEYS[1]
local row = load_row(rkey)
if not row then return { 'error', 'reservation_not_found', 'reservation ' .. id .. ' does not exist' } end
local state = row.state
local function illegal(action, why)
  return { 'error', 'invalid_transition', 'cannot ' .. action .. ' reservation ' .. id .. ' in state ' .. state .. (why or '') }
end
local function result(status) return { status, I(now), redis.call('HGETALL', rkey) } end

