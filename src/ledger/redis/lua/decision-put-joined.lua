
local joined = ARGV[2]
local fields = {}
local count, at = 0, 1
while true do
  local stop = string.find(joined, '\0', at, true)
  count = count + 1
  if stop == nil then
    fields[count] = string.sub(joined, at)
    break
  end
  fields[count] = string.sub(joined, at, stop - 1)
  at = stop + 1
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
