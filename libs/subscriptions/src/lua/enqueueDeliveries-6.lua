--[[
enqueueDeliveries-6.lua: adds messages to one subscription's delivery queue, each (key, revision) once.

KEYS[1]  the subscription (string; nothing is enqueued when it no longer exists)
KEYS[2]  seen: hash dedup key -> highest revision enqueued
KEYS[3]  seenAt: zset dedup key -> when last enqueued (ms)
KEYS[4]  queue: zset delivery id -> enqueue time (ms)
KEYS[5]  bodies: hash delivery id -> message JSON
KEYS[6]  due: zset subscription id -> next attempt (ms)
ARGV[1]  subscription id
ARGV[2]  now (ms)
ARGV[3]  forget dedup keys not seen for this long (ms)
ARGV[4]  '1': the subscription becomes due now even when it was waiting (an Alertmanager subscription
         waits for its next re-send, which must not hold back a change); '0': it keeps its time
ARGV[5..] groups of 4: dedup key, revision, delivery id, message JSON

A message whose revision is not above the highest enqueued for its key (a Kafka redelivery, or an
older revision arriving late) is skipped. A subscription that had nothing pending becomes due now;
one already waiting (backoff, rate limit) keeps its time unless ARGV[4] is '1'.

Returns the number of messages enqueued.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local now = tonumber(ARGV[2])
local added = 0
for i = 5, #ARGV, 4 do
  local key, rev, delivery, body = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local seen = tonumber(redis.call('HGET', KEYS[2], key) or '0')
  if rev > seen then
    redis.call('HSET', KEYS[2], key, rev)
    redis.call('ZADD', KEYS[3], now, key)
    redis.call('ZADD', KEYS[4], now, delivery)
    redis.call('HSET', KEYS[5], delivery, body)
    added = added + 1
  end
end
if added > 0 then
  local waiting = tonumber(redis.call('ZSCORE', KEYS[6], ARGV[1]) or '-1')
  if waiting < 0 or (ARGV[4] == '1' and waiting > now) then
    redis.call('ZADD', KEYS[6], now, ARGV[1])
  end
end
-- forget a bounded number of old dedup keys per call
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[3]), 'LIMIT', 0, 100)
if #old > 0 then
  redis.call('ZREM', KEYS[3], unpack(old))
  redis.call('HDEL', KEYS[2], unpack(old))
end
return added
