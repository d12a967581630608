--[[
resolveAlert-1.lua: a person resolves an UNCONSENTED_DELIVERY alert (SPEC section 4: the one kind
that does not resolve by itself). Its items are cleared; the watch's next tick publishes the RESOLVED
revision. A later violation on the same (shift, from, to) fires it again.

KEYS[1]  <prefix>alert:<id>: the alert's hash (see alerts.lua)
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"
ARGV[2]  the alert id
ARGV[3]  now, wall clock ms

Returns 1 when cleared, 2 when it is resolved already (nothing done), 0 when the alert is unknown or
has no published revision yet, -1 when it is of another kind.
]]
local a = redis.call('HMGET', KEYS[1], 'kind', 'rev', 'status')
local rev = tonumber(a[2] or '0')
if a[1] == false or rev == nil or rev < 1 then return 0 end
if a[1] ~= 'UNCONSENTED_DELIVERY' then return -1 end
local items = ARGV[1] .. 'items:' .. ARGV[2]
if a[3] == 'RESOLVED' and redis.call('SCARD', items) == 0 then return 2 end
redis.call('DEL', items)
redis.call('HSET', KEYS[1], 'nExpress', 0)
if redis.call('HEXISTS', KEYS[1], 'cond') == 0 then redis.call('HSET', KEYS[1], 'cond', ARGV[3]) end
redis.call('SADD', ARGV[1] .. 'dirty', ARGV[2])
return 1
