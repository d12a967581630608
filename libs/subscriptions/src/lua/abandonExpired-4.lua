--[[
abandonExpired-4.lua: gives up the deliveries queued longer than the retry window, counting them.

KEYS[1]  queue: zset delivery id -> enqueue time (ms)
KEYS[2]  bodies: hash delivery id -> message JSON
KEYS[3]  state: hash of the subscription's delivery state
KEYS[4]  due: zset subscription id -> next attempt (ms)
ARGV[1]  subscription id
ARGV[2]  enqueued before this (ms): abandoned

Returns the delivery ids abandoned (the caller logs and counts them).
]]
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, 1000)
if #old == 0 then
  return old
end
redis.call('ZREM', KEYS[1], unpack(old))
redis.call('HDEL', KEYS[2], unpack(old))
redis.call('HINCRBY', KEYS[3], 'abandoned', #old)
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[3], 'nextAttemptAt', '')
end
return old
