--[[
ingestSummaries-2.lua: applies a batch of shift-summary revisions to the API's summary view: the
latest revision per "<facilityId>|<shiftId>", and a per-facility index by shift start. A revision not
above the one stored is ignored. Each facility keeps its newest 1,000 shifts.

KEYS[1]  hbm:{api}:summaries      hash key -> JSON of the latest revision
KEYS[2]  hbm:{api}:summaries:rev  hash key -> latest revision
ARGV[1]  the index prefix, "hbm:{api}:summaries:idx:" (zset "<prefix><facilityId>" of keys by shift start ms)
ARGV[2..] five per revision: key, facilityId, revision, shift start ms, JSON

Returns {revisions applied, revisions ignored as not newer}.
]]
local applied, stale = 0, 0
for i = 2, #ARGV, 5 do
  local key, facility, rev, start, json = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4]
  local old = tonumber(redis.call('HGET', KEYS[2], key) or '')
  if old and rev <= old then
    stale = stale + 1
  else
    local index = ARGV[1] .. facility
    redis.call('HSET', KEYS[1], key, json)
    redis.call('HSET', KEYS[2], key, rev)
    redis.call('ZADD', index, start, key)
    local extra = redis.call('ZCARD', index) - 1000
    if extra > 0 then
      for _, gone in ipairs(redis.call('ZRANGE', index, 0, extra - 1)) do
        redis.call('HDEL', KEYS[1], gone)
        redis.call('HDEL', KEYS[2], gone)
      end
      redis.call('ZREMRANGEBYRANK', index, 0, extra - 1)
    end
    applied = applied + 1
  end
end
return { applied, stale }
