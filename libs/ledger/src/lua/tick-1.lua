--[[
tick-1.lua: the watch's periodic step for one facility: turns closures past their orphan wait into
orphans (rule 4), fires the deadlines that have passed (rule 5), closes the shifts whose end plus grace
has passed, and puts the next revision of every changed alert on the facility's outbox.

KEYS[1]  <prefix>dirty: alert ids and "S:<shift>" summaries changed since they were last published
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"
ARGV[2]  now, wall clock ms
ARGV[3]  the most held closures, deadlines and shift closes handled in this call (the rest: next call)
ARGV[4]  how long hand-off histories and shift ledgers are kept after their last change, ms
ARGV[5]  JSON object of deadlines in minutes ("R|<class>", "F|<class>")
ARGV[6]  shift grace ms
ARGV[7]  summary coalescing ms: at most one summary revision per shift in this time
ARGV[8]  the most item ids an alert revision lists (its item count stays exact)

Returns {alerts put on the outbox, {shift ids whose summary is due}, more: 1 if work was left for the next call}.
]]
--- @include "history"
--- @include "derive"
--- @include "alerts"
--- @include "ledger-move"
--- @include "publish"

local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local deadlines = cjson.decode(ARGV[5])
local graceMs = tonumber(ARGV[6])
local coalesceMs = tonumber(ARGV[7])
local maxItems = tonumber(ARGV[8])
local more = 0
local pending = newPending()

-- 1. closures whose wait has passed become orphans
local held = redis.call('ZRANGEBYSCORE', prefix .. 'held', '-inf', now, 'LIMIT', 0, limit)
if #held == limit then more = 1 end
for _, hoKey in ipairs(held) do
  local raw = redis.call('GET', hoKey)
  local ok, entries = false, nil
  if raw then ok, entries = decodeHistory(raw) end
  if not ok or type(entries) ~= 'table' then
    -- gone (expired), or unreadable (applyScans refuses every scan of it): nothing waits here any more
    redis.call('ZREM', prefix .. 'held', hoKey)
  else
    local item, to = string.match(string.sub(hoKey, #prefix + 4), '^([^|]*)|[^|]*|(.*)$')
    local before = derive(entries, item, to, deadlines)
    for _, e in ipairs(entries) do
      if e[E_K] == 'C' and e[E_O] ~= 1 and e[E_W] <= now and before.role[e[E_ID]] == 'O' then e[E_O] = 1 end
    end
    local after = derive(entries, item, to, deadlines)
    moveLedger(prefix, hoKey, item, to, before, after, pending, now)
    redis.call('SET', hoKey, encodeHistory(entries), 'PX', ttl)
  end
end
flushPending(prefix, pending)
keepShifts(prefix, pending.touched, ttl, graceMs, now)

-- 2. open hand-offs past their deadline join their overdue alert
local due = redis.call('ZRANGEBYSCORE', prefix .. 'due', '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
if #due == 2 * limit then more = 1 end
for i = 1, #due, 2 do
  local member, deadline = due[i], tonumber(due[i + 1])
  redis.call('ZREM', prefix .. 'due', member)
  local shift, item, from, rest = string.match(member, '^([^\t]*)\t([^|]*)|([^|]*)|(.*)$')
  local tab = string.find(rest, '\t', 1, true)
  local to, class = string.sub(rest, 1, tab - 1), string.sub(rest, tab + 1)
  alertItem(prefix, overdueKind(to), shift, from, to, item, class, 1, deadline)
end

-- 3. shifts past their end plus grace close
local closing = redis.call('ZRANGEBYSCORE', prefix .. 'closes', '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
if #closing == 2 * limit then more = 1 end
for i = 1, #closing, 2 do
  local shift, closesAt = closing[i], tonumber(closing[i + 1])
  redis.call('ZREM', prefix .. 'closes', shift)
  redis.call('HSET', prefix .. 'closed', shift, string.format('%d', closesAt))
  redis.call('SADD', prefix .. 'dirty', 'S:' .. shift)
  touchAlert(prefix, 'SHIFT_UNBALANCED', shift, facilityOf(prefix), '', closesAt)
end

-- 4. changed alerts get their next revision; changed summaries are handed to the caller when due
local published = 0
local summaries = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(id, 1, 2) == 'S:' then
    local shift = string.sub(id, 3)
    local s = redis.call('HMGET', prefix .. 'summary:' .. shift, 'chg', 'pub', 'lastAt')
    local chg, pub, lastAt = tonumber(s[1] or '0'), tonumber(s[2] or '-1'), tonumber(s[3] or '')
    if redis.call('HEXISTS', prefix .. 'closed', shift) == 0 or chg <= pub then
      redis.call('SREM', KEYS[1], id)
    elseif lastAt == nil or now - lastAt >= coalesceMs then
      summaries[#summaries + 1] = shift
    end
  else
    published = published + publishAlert(prefix, id, now, maxItems)
    redis.call('SREM', KEYS[1], id)
  end
end

-- 5. forget shifts older than the retention
for _, shift in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'shifts', '-inf', now - ttl, 'LIMIT', 0, limit)) do
  redis.call('ZREM', prefix .. 'shifts', shift)
  redis.call('HDEL', prefix .. 'closed', shift)
  redis.call('ZREM', prefix .. 'closes', shift)
  redis.call('DEL', prefix .. 'summary:' .. shift)
end

return { published, summaries, more }
