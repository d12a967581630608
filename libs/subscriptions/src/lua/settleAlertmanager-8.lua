--[[
settleAlertmanager-8.lua: records one send round of an Alertmanager subscription: its delivery state,
each Alertmanager URL's retry state, the alerts sent (no longer changed), refused (set aside) or
forgotten (resolved long enough), and when the subscription is due next.

KEYS[1]  the subscription (string; when it was deleted meanwhile, nothing is written)
KEYS[2]  state: hash of the subscription's delivery state
KEYS[3]  due: zset subscription id -> next attempt (ms)
KEYS[4]  targets: hash resendAt, <i>:failures, <i>:retryAt, <i>:full
KEYS[5]  changed: hash alert id -> revisions folded in since last sent
KEYS[6]  alerts: hash alert id -> what is re-sent (JSON)
KEYS[7]  revisions: hash alert id -> revision
KEYS[8]  queue: zset delivery id -> enqueue time (ms)
ARGV[1]  subscription id
ARGV[2]  next attempt (ms), or '' when there is nothing to send or re-send
ARGV[3]  now (ms): the next attempt when revisions were queued during the round
then six lists, each its length first:
  state fields to set (field, value pairs)
  state fields to increment (field, amount pairs)
  target fields to set (field, value pairs)
  alert ids sent: no longer changed
  refused alerts (alert id, JSON pairs): kept, marked so that they are not sent again
  forgotten alert ids: resolved and re-sent long enough

Returns 1, or 0 when the subscription no longer exists.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
local i = 4
local function list(width)
  local n = tonumber(ARGV[i])
  local out = {}
  for j = i + 1, i + n * width do out[#out + 1] = ARGV[j] end
  i = i + 1 + n * width
  return out
end
local set, incr, targets, sent, refused, forgotten = list(2), list(2), list(2), list(1), list(2), list(1)
if #set > 0 then redis.call('HSET', KEYS[2], unpack(set)) end
for j = 1, #incr, 2 do redis.call('HINCRBY', KEYS[2], incr[j], incr[j + 1]) end
if #targets > 0 then redis.call('HSET', KEYS[4], unpack(targets)) end
if #sent > 0 then redis.call('HDEL', KEYS[5], unpack(sent)) end
if #refused > 0 then redis.call('HSET', KEYS[6], unpack(refused)) end
if #forgotten > 0 then
  redis.call('HDEL', KEYS[6], unpack(forgotten))
  redis.call('HDEL', KEYS[7], unpack(forgotten))
  redis.call('HDEL', KEYS[5], unpack(forgotten))
end
local next = ARGV[2]
if redis.call('ZCARD', KEYS[8]) > 0 and (next == '' or tonumber(next) > tonumber(ARGV[3])) then
  next = ARGV[3]
end
if next == '' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[2], 'nextAttemptAt', '')
else
  redis.call('ZADD', KEYS[3], tonumber(next), ARGV[1])
end
return 1
