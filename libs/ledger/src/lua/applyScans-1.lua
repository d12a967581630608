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

Returns {'OK', watermark, results, refused}: results has one character per event: A applied, D duplicate,
O a closure without its hand-off (held for the orphan wait), S skipped (offset at or below the watermark:
a Kafka redelivery or a client resend), U skipped and refused earlier (refuseScan-1.lua; refused is then a
flat array of result position and the reason that was recorded).
Returns {'REGRESSED', watermark} without changing anything when the watermark is below ARGV[3]: Redis has
lost writes this consumer saw acknowledged, and the consumer must rewind before applying more.
Returns the error reply "UNPROCESSABLE <why>" without changing anything when an event, or the history it
belongs to, is not what this script can apply (a HANDOVER or closure past MAX_SCANS of its kind, say): the caller
splits the call until the event is alone and refuses it. Everything the writing part reads is read and
checked first, so no error can stop the script half way through its writes (Redis does not roll them back).
]]
--- @include "derive"
--- @include "alerts"
--- @include "ledger-move"

-- distinct HANDOVERs, and distinct closures, one hand-off history keeps: far above any real one (an item
-- taken out and returned every day of the dedup window, with double scans), low enough that a flood of
-- distinct copies cannot make a history, and every call on it, unbounded. Kinds apart, so that a flood
-- of double HANDOVER scans cannot keep out the closure.
local MAX_SCANS = 32

local CLASSES = { EXPRESS = true, PARCEL = true, LETTER = true }
local CLOSURES = { received = true, delivered = true, locker = true, pickupPoint = true, returned = true }

local function isText(v, maxLen)
  return type(v) == 'string' and #v > 0 and #v <= maxLen
end

local function isInt(v)
  return type(v) == 'number' and v == math.floor(v) and v >= 0 and v < 9007199254740992
end

-- why a scan (an event, or an entry of a stored history) cannot be applied, or nil when it can
local function badScan(e, stored)
  if type(e) ~= 'table' then return 'not an object' end
  if e.k ~= 'H' and e.k ~= 'C' then return 'kind is not H or C' end
  if not isInt(e.t) then return 'occurredAt is not a time' end
  if not isText(e.id, 512) then return 'eventId is not a string of 1 to 512 bytes' end
  if not isText(e.s, 64) then return 'shiftId is not a string' end
  if not isInt(e.ss) or not isInt(e.se) then return 'shift span is not two times' end
  if not CLASSES[e.c] then return 'mail class is unknown' end
  if type(e.f) ~= 'string' or #e.f > 64 then return 'from is not a segment' end
  if e.k == 'C' then
    if not CLOSURES[e.n] then return 'closure counter is unknown' end
    if e.v ~= nil and e.v ~= 1 then return 'consent is not 1' end
    if stored and not isInt(e.w) then return 'orphan wait is not a time' end
  end
  if not stored then
    if not isInt(e.o) then return 'offset is not a whole number' end
    if not isText(e.key, 256) or not isText(e.item, 64) or not isText(e.to, 64) then
      return 'hand-off key, item or to is not a string'
    end
  end
  return nil
end

local function refuse(why)
  return redis.error_reply('UNPROCESSABLE ' .. why)
end

local prefix = ARGV[1]
local field = ARGV[2]
local expected = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local orphanWait = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local graceMs = tonumber(ARGV[9])

local wm = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
if wm < expected then
  return { 'REGRESSED', string.format('%d', wm) }
end

-- 1. Read and check everything; write nothing.
local okEvents, events = pcall(cjson.decode, ARGV[7])
if not okEvents or type(events) ~= 'table' then return refuse('events are not a JSON array: ' .. tostring(events)) end
local okDeadlines, deadlines = pcall(cjson.decode, ARGV[8])
if not okDeadlines or type(deadlines) ~= 'table' then return refuse('deadlines are not a JSON object') end

local histories = {} -- history key -> its entries, as read, then as changed
local ids = {}       -- history key -> set of the eventIds it holds (and will hold)
local kinds = {}     -- history key -> {H = n, C = n}: distinct scans of each kind it holds (and will hold)
local last = -1
for i, ev in ipairs(events) do
  local why = badScan(ev, false)
  if why then return refuse('event ' .. i .. ': ' .. why) end
  if ev.o <= last then return refuse('event ' .. i .. ': offsets are not increasing') end
  last = ev.o
  if ev.o > wm then
    local hoKey = prefix .. 'ho:' .. ev.key
    if histories[hoKey] == nil then
      local raw = redis.call('GET', hoKey)
      local entries = {}
      if raw then
        local ok, decoded = pcall(cjson.decode, raw)
        if not ok or type(decoded) ~= 'table' then return refuse('event ' .. i .. ': its stored history is unreadable') end
        entries = decoded
      end
      local held = {}
      local count = { H = 0, C = 0 }
      for _, e in ipairs(entries) do
        local bad = badScan(e, true)
        if bad then return refuse('event ' .. i .. ': its stored history holds a bad scan (' .. bad .. ')') end
        held[e.id] = true
        count[e.k] = count[e.k] + 1
      end
      histories[hoKey] = entries
      ids[hoKey] = held
      kinds[hoKey] = count
    end
    if not ids[hoKey][ev.id] then
      if kinds[hoKey][ev.k] >= MAX_SCANS then
        return refuse('event ' .. i .. ': its hand-off already holds ' .. MAX_SCANS .. ' distinct ' ..
          (ev.k == 'H' and 'HANDOVER' or 'closure') .. ' scans')
      end
      ids[hoKey][ev.id] = true
      kinds[hoKey][ev.k] = kinds[hoKey][ev.k] + 1
    end
  end
end

-- 2. Apply: only checked data from here on.
local results = {}
local refused = {}
local refusedKey = prefix .. 'refused'
local anyRefused = nil
local touched = {}
local changed = {}
for i, ev in ipairs(events) do
  if ev.o <= wm then
    if anyRefused == nil then anyRefused = redis.call('EXISTS', refusedKey) == 1 end
    local reason = anyRefused and redis.call('HGET', refusedKey, field .. ':' .. string.format('%d', ev.o))
    if reason then
      results[i] = 'U'
      refused[#refused + 1] = i
      refused[#refused + 1] = reason
    else
      results[i] = 'S'
    end
  else
    wm = ev.o
    local hoKey = prefix .. 'ho:' .. ev.key
    local entries = histories[hoKey]
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
      changed[hoKey] = true
      results[i] = after.role[ev.id]
    end
  end
end

for hoKey in pairs(changed) do
  redis.call('SET', hoKey, cjson.encode(histories[hoKey]), 'PX', ttl)
end
keepShifts(prefix, touched, ttl, graceMs, now)
redis.call('HSET', KEYS[1], field, string.format('%d', wm))
redis.call('PEXPIRE', KEYS[1], ttl)
return { 'OK', string.format('%d', wm), table.concat(results), refused }
