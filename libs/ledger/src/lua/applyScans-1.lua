--[[
applyScans-1.lua: applies one facility's scan events from one Kafka partition, atomically and idempotently.

KEYS[1]  <prefix>wm: the facility's watermarks, "<topic>:<partition>" -> last applied offset
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"; every key touched here starts with it (one hash slot)
ARGV[2]  watermark field, "<topic>:<partition>"
ARGV[3]  the watermark this consumer last saw here for that partition, or -1 when it has seen none
ARGV[4]  now, wall clock ms
ARGV[5]  orphan wait ms
ARGV[6]  how long hand-off histories and shift ledgers are kept after their last change, ms
ARGV[7]  JSON array of events in offset order; each {o offset, k 'H'|'C', key, item, f from, to, t occurredAt ms,
         id eventId, s shiftId, ss shift start ms, se shift end ms, c mail class, n closure counter (C),
         v 1 when consent given (C)}
ARGV[8]  JSON object of deadlines in minutes: "R|<class>" receipt, "F|<class>" feedback (absent: none)
ARGV[9]  shift grace ms: a shift closes at its end plus this

Returns {'OK', watermark, results}: results has one character per event: A applied, D duplicate,
O a closure without its hand-off (held for the orphan wait), S skipped (offset at or below the watermark:
a Kafka redelivery or a client resend).
Returns {'REGRESSED', watermark} without changing anything when the watermark is below ARGV[3]: Redis has
lost writes this consumer saw acknowledged, and the consumer must rewind before applying more.
]]
--- @include "derive"
--- @include "alerts"
--- @include "ledger-move"

local prefix = ARGV[1]
local field = ARGV[2]
local expected = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local orphanWait = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local events = cjson.decode(ARGV[7])
local deadlines = cjson.decode(ARGV[8])
local graceMs = tonumber(ARGV[9])

local wm = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
if wm < expected then
  return { 'REGRESSED', string.format('%d', wm) }
end

local results = {}
local touched = {}
for i, ev in ipairs(events) do
  if ev.o <= wm then
    results[i] = 'S'
  else
    wm = ev.o
    local hoKey = prefix .. 'ho:' .. ev.key
    local raw = redis.call('GET', hoKey)
    local entries = raw and cjson.decode(raw) or {}
    local seen = false
    for _, e in ipairs(entries) do
      if e.id == ev.id then seen = true break end
    end
    if seen then
      -- a re-sent copy of a scan already in the history: counted where the copy itself falls
      redis.call('HINCRBY', prefix .. 'ledger:' .. ev.s, ev.c .. '|' .. ev.to .. '|duplicates', 1)
      touched[ev.s] = { ev.ss, ev.se }
      results[i] = 'D'
    else
      local before = derive(entries, ev.item, ev.to, deadlines)
      local entry = { k = ev.k, t = ev.t, id = ev.id, s = ev.s, ss = ev.ss, se = ev.se, c = ev.c, f = ev.f }
      if ev.k == 'C' then
        entry.n = ev.n
        entry.v = ev.v
        entry.w = now + orphanWait
      end
      entries[#entries + 1] = entry
      local after = derive(entries, ev.item, ev.to, deadlines)
      moveLedger(prefix, hoKey, before, after, touched, now)
      redis.call('SET', hoKey, cjson.encode(entries), 'PX', ttl)
      results[i] = after.role[ev.id]
    end
  end
end

keepShifts(prefix, touched, ttl, graceMs, now)
redis.call('HSET', KEYS[1], field, string.format('%d', wm))
redis.call('PEXPIRE', KEYS[1], ttl)
return { 'OK', string.format('%d', wm), table.concat(results) }
