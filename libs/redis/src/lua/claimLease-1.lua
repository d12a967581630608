--[[
claimLease-1.lua: takes or keeps a lease (a watch shard, the active lag monitor, one subscription's
deliveries): a key holding its holder's id, with a time to live.

KEYS[1]  the lease key
ARGV[1]  this instance's id
ARGV[2]  lease time to live, ms

Returns 1 when this instance holds the lease now (taken, or renewed), 0 when another does.
]]
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
