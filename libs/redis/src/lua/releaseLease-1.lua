--[[
releaseLease-1.lua: gives a lease up, if this instance holds it.

KEYS[1]  the lease key
ARGV[1]  this instance's id

Returns 1 when released, 0 when another instance held it (or nobody).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
