--[[
promoteOrphans-1.lua: turns closures whose orphan wait has passed into orphans (rule 4).

KEYS[1]  <prefix>held: hand-off histories with a waiting closure, scored by the earliest wait deadline (ms)
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"
ARGV[2]  now, wall clock ms
ARGV[3]  how many histories at most in this call
ARGV[4]  how long hand-off histories and shift ledgers are kept after their last change, ms

Returns {promoted, remaining}: how many closures became orphans, and how many histories are still due.
]]
--- @include "derive"

local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])

local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local promoted = 0
local touched = {}
for _, hoKey in ipairs(due) do
  local raw = redis.call('GET', hoKey)
  if not raw then
    redis.call('ZREM', KEYS[1], hoKey)
  else
    local entries = cjson.decode(raw)
    local item, to = string.match(string.sub(hoKey, #prefix + 4), '^([^|]*)|[^|]*|(.*)$')
    local before = derive(entries, item, to)
    for _, e in ipairs(entries) do
      if e.k == 'C' and e.o ~= 1 and e.w <= now and before.role[e.id] == 'O' then
        e.o = 1
        promoted = promoted + 1
      end
    end
    local after = derive(entries, item, to)
    moveLedger(prefix, hoKey, before, after, touched)
    redis.call('SET', hoKey, cjson.encode(entries), 'PX', ttl)
  end
end
keepShifts(prefix, touched, ttl)
return { promoted, redis.call('ZCOUNT', KEYS[1], '-inf', now) }
