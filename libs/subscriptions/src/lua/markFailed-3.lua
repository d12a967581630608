--[[
markFailed-3.lua: records a failed send: the deliveries stay queued and the subscription waits.

KEYS[1]  state: hash of the subscription's delivery state
KEYS[2]  due: zset subscription id -> next attempt (ms)
KEYS[3]  the subscription (string)
ARGV[1]  subscription id
ARGV[2]  now (ISO 8601)
ARGV[3]  next attempt (ms)
ARGV[4]  the error, short

Returns the failed attempts since the last success.
]]
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local failed = redis.call('HINCRBY', KEYS[1], 'failedAttempts', 1)
redis.call('HSET', KEYS[1], 'lastAttemptAt', ARGV[2], 'lastError', ARGV[4], 'nextAttemptAt', ARGV[3])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return failed
