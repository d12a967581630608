--[[
ingestAlerts-3.lua: applies a batch of alert revisions from the alerts topic to the API's alert view.
Idempotent and safe with several API instances: a revision not above the one stored is ignored, so a
redelivered or late message changes nothing and is not logged twice.

KEYS[1]  hbm:{api}:alerts       hash alertId -> JSON of the latest revision
KEYS[2]  hbm:{api}:alerts:meta  hash alertId -> "<revision>\t<status>\t<facility or ~>"
KEYS[3]  hbm:{api}:alerts:changes  stream of accepted revisions (n: its sequence number, one more
         than the entry before it; f: facility or ~; a: JSON). n tells how many changes lie between
         two entries, so a resume knows the length of its gap before it reads it.
ARGV[1]  the index prefix, "hbm:{api}:alerts:idx:" (indexes "<prefix><facility|~|*>:<status|*>",
         zsets of alert ids scored by updatedAt ms)
ARGV[2]  the change log's approximate maximum length
ARGV[3]  RESOLVED alerts last updated before this (ms) are forgotten; at most 100 per call
ARGV[4..] six per revision: alertId, revision, status, facility (or ~), updatedAt ms, JSON

Returns {revisions applied, revisions ignored as not newer, alerts forgotten}.
]]
local idx = ARGV[1]
local maxlen = ARGV[2]
local applied, stale = 0, 0

-- the sequence number of the next change: one past the newest entry's (1 for an empty log)
local seq
local function nextSeq()
  if not seq then
    seq = 0
    local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
    if newest then
      local fields = newest[2]
      for j = 1, #fields, 2 do
        if fields[j] == 'n' then seq = tonumber(fields[j + 1]) or 0 end
      end
    end
  end
  seq = seq + 1
  return seq
end

local function indexes(facility, status)
  return { idx .. '*:*', idx .. '*:' .. status, idx .. facility .. ':*', idx .. facility .. ':' .. status }
end

for i = 4, #ARGV, 6 do
  local id, rev, status, facility, at, json = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3],
    ARGV[i + 4], ARGV[i + 5]
  local meta = redis.call('HGET', KEYS[2], id)
  local oldRev, oldStatus, oldFacility
  if meta then
    oldRev, oldStatus, oldFacility = string.match(meta, '^(%d+)\t([^\t]*)\t(.*)$')
    oldRev = tonumber(oldRev)
  end
  if oldRev and rev <= oldRev then
    stale = stale + 1
  else
    if oldRev then
      for _, key in ipairs(indexes(oldFacility, oldStatus)) do redis.call('ZREM', key, id) end
    end
    for _, key in ipairs(indexes(facility, status)) do redis.call('ZADD', key, at, id) end
    redis.call('HSET', KEYS[1], id, json)
    redis.call('HSET', KEYS[2], id, string.format('%d', rev) .. '\t' .. status .. '\t' .. facility)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxlen, '*', 'n', string.format('%d', nextSeq()), 'f', facility,
      'a', json)
    applied = applied + 1
  end
end

local forgotten = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', idx .. '*:RESOLVED', '-inf', '(' .. ARGV[3], 'LIMIT', 0, 100)) do
  local meta = redis.call('HGET', KEYS[2], id)
  local facility = meta and string.match(meta, '^%d+\t[^\t]*\t(.*)$') or '~'
  for _, key in ipairs(indexes(facility, 'RESOLVED')) do redis.call('ZREM', key, id) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  forgotten = forgotten + 1
end

return { applied, stale, forgotten }
