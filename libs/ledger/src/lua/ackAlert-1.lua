--[[
ackAlert-1.lua: records that a person acknowledged an alert. The watch's next tick publishes the
alert's next revision carrying `acknowledgedBy` (publish.lua), whatever else changed or not.

KEYS[1]  <prefix>alert:<id>: the alert's hash (see alerts.lua)
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"
ARGV[2]  the alert id
ARGV[3]  who acknowledged it (the API token's name)
ARGV[4]  now, wall clock ms

Returns 1 when recorded, 0 when the alert is unknown or has no published revision yet.
]]
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev == nil or rev < 1 then return 0 end
redis.call('HSET', KEYS[1], 'ack', ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'cond') == 0 then redis.call('HSET', KEYS[1], 'cond', ARGV[4]) end
redis.call('SADD', ARGV[1] .. 'dirty', ARGV[2])
return 1
