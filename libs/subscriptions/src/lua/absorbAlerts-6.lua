--[[
absorbAlerts-6.lua: moves queued alert revisions of an Alertmanager subscription into the set of
alerts it re-sends: each alert keeps its newest revision, and is marked changed (sent promptly).

KEYS[1]  queue: zset delivery id -> enqueue time (ms)
KEYS[2]  bodies: hash delivery id -> message JSON
KEYS[3]  alerts: hash alert id -> what is re-sent (JSON)
KEYS[4]  revisions: hash alert id -> revision held in alerts
KEYS[5]  changed: hash alert id -> revisions folded in since it was last sent
KEYS[6]  the subscription (string; a deleted one keeps nothing)
ARGV     groups of 4: delivery id, alert id, revision, the JSON to re-send

The deliveries leave the queue either way; a revision not above the one held (older, arriving late)
changes nothing. Returns the number of revisions taken in.
]]
local exists = redis.call('EXISTS', KEYS[6]) == 1
local taken = 0
for i = 1, #ARGV, 4 do
  local delivery, alert, rev, body = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  redis.call('ZREM', KEYS[1], delivery)
  redis.call('HDEL', KEYS[2], delivery)
  if exists and rev > tonumber(redis.call('HGET', KEYS[4], alert) or '0') then
    redis.call('HSET', KEYS[3], alert, body)
    redis.call('HSET', KEYS[4], alert, rev)
    redis.call('HINCRBY', KEYS[5], alert, 1)
    taken = taken + 1
  end
end
return taken
