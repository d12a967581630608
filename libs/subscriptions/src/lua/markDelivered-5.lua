--[[
markDelivered-5.lua: records a successful send: its deliveries leave the queue.

KEYS[1]  queue: zset delivery id -> enqueue time (ms)
KEYS[2]  bodies: hash delivery id -> message JSON
KEYS[3]  state: hash of the subscription's delivery state
KEYS[4]  due: zset subscription id -> next attempt (ms)
KEYS[5]  the subscription (string)
ARGV[1]  subscription id
ARGV[2]  now (ms)
ARGV[3]  now (ISO 8601)
ARGV[4]  when to try the rest of the queue (ms)
ARGV[5..] the delivery ids sent (none: only settles whether the subscription is still due)

Returns the number of deliveries still pending.
]]
local n = #ARGV - 4
if n > 0 then
  local ids = {}
  for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('HDEL', KEYS[2], unpack(ids))
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  return 0
end
if n > 0 then
  redis.call('HINCRBY', KEYS[3], 'delivered', n)
  redis.call('HSET', KEYS[3], 'failedAttempts', 0, 'lastDeliveredAt', ARGV[3], 'lastAttemptAt', ARGV[3], 'lastError', '')
end
local left = redis.call('ZCARD', KEYS[1])
if left > 0 then
  redis.call('ZADD', KEYS[4], tonumber(ARGV[4]), ARGV[1])
  redis.call('HSET', KEYS[3], 'nextAttemptAt', ARGV[4])
else
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[3], 'nextAttemptAt', '')
end
return left
