
local billed = tonumber(ARGV[1])
local seen = tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]) or '')
local tokens = billed
if stored ~= nil then tokens = math.max(stored, billed + math.max(0, stored - seen)) end
redis.call('SET', KEYS[1], I(tokens), 'PX', ARGV[3])
return I(tokens)
