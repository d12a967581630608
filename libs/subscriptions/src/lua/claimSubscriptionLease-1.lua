--[[
claimSubscriptionLease-1.lua: takes or keeps the right to send one subscription's deliveries.

KEYS[1]  the subscription's lease key
ARGV[1]  this instance's id
ARGV[2]  lease time to live, ms (longer than one send with its timeout)

Returns 1 when this instance holds the lease now, 0 when another does.
]]
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
