--[[
applyScans-1.lua: applies one facility's scan events from one Kafka partition, atomically and idempotently.

KEYS[1]  <prefix>wm: the facility's watermarks, "<topic>:<partition>" -> last applied offset
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"; every key touched here starts with it (one hash slot)
ARGV[2]  watermark field, "<topic>:<partition>"
ARGV[3]  the watermark this consumer last saw here for that partition, or -1 when it has seen none
ARGV[4]  now, wall clock ms
ARGV[5]  orphan wait ms
ARGV[6]  how long hand-off histories and shift ledgers are kept after their last change, ms
ARGV[7]  JSON array of events in offset order, each an array: [1] offset, [2] hand-off history key, [3] item,
         [4] to, then the history entry's first fields (history.lua): [5] k 'H'|'C', [6] occurredAt ms,
         [7] eventId, [8] shiftId, [9] shift start ms, [10] shift end ms, [11] mail class, [12] from,
         [13] closure counter ('' for H), [14] 1 when consent was given, else 0
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
--- @include "history"
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

local type, floor = type, math.floor -- locals: looked up once, not per scan

local function isText(v, maxLen)
  return type(v) == 'string' and #v > 0 and #v <= maxLen
end

local function isInt(v)
  return type(v) == 'number' and v == floor(v) and v >= 0 and v < 9007199254740992
end

local V_O, V_KEY, V_ITEM, V_TO, V_K, V_T, V_ID, V_S, V_SS, V_SE, V_C, V_F, V_N, V_V =
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14

-- why the fields an event and a stored entry share cannot be applied, or nil when they can
local function badScan(k, t, id, s, ss, se, c, f, n, v)
  if k ~= 'H' and k ~= 'C' then return 'kind is not H or C' end
  if not isInt(t) then return 'occurredAt is not a time' end
  if not isText(id, 512) then return 'eventId is not a string of 1 to 512 bytes' end
  if not isText(s, 64) then return 'shiftId is not a string' end
  if not isInt(ss) or not isInt(se) then return 'shift span is not two times' end
  if not CLASSES[c] then return 'mail class is unknown' end
  if type(f) ~= 'string' or #f > 64 then return 'from is not a segment' end
  if k == 'C' then
    if not CLOSURES[n] then return 'closure counter is unknown' end
    if v ~= 0 and v ~= 1 then return 'consent is not 0 or 1' end
  end
  return nil
end

-- why an event cannot be applied, or nil when it can
local function badEvent(ev)
  if type(ev) ~= 'table' then return 'not an array' end
  if not isInt(ev[V_O]) then return 'offset is not a whole number' end
  if not isText(ev[V_KEY], 256) or not isText(ev[V_ITEM], 64) or not isText(ev[V_TO], 64) then
    return 'hand-off key, item or to is not a string'
  end
  local why = badScan(ev[V_K], ev[V_T], ev[V_ID], ev[V_S], ev[V_SS], ev[V_SE], ev[V_C], ev[V_F], ev[V_N], ev[V_V])
  if why then return why end
  if ev[V_V] ~= 0 and ev[V_V] ~= 1 then return 'consent is not 0 or 1' end -- a HANDOVER's too
  return nil
end

-- why an entry of a stored history cannot be read, or nil when it can
local function badEntry(e)
  if type(e) ~= 'table' then return 'not an array' end
  local why = badScan(e[E_K], e[E_T], e[E_ID], e[E_S], e[E_SS], e[E_SE], e[E_C], e[E_F], e[E_N], e[E_V])
  if why or e[E_K] ~= 'C' then return why end
  if not isInt(e[E_W]) then return 'orphan wait is not a time' end
  if e[E_O] ~= 0 and e[E_O] ~= 1 then return 'orphan mark is not 0 or 1' end
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
local wanted = {}    -- history keys to read, in first-use order
local last = -1
for i, ev in ipairs(events) do
  local why = badEvent(ev)
  if why then return refuse('event ' .. i .. ': ' .. why) end
  if ev[V_O] <= last then return refuse('event ' .. i .. ': offsets are not increasing') end
  last = ev[V_O]
  if ev[V_O] > wm then
    local hoKey = prefix .. 'ho:' .. ev[V_KEY]
    if histories[hoKey] == nil then
      histories[hoKey] = false
      wanted[#wanted + 1] = hoKey
    end
  end
end
-- every history the call needs, in a few MGETs rather than a GET per scan
local READ_CHUNK = 200
for from = 1, #wanted, READ_CHUNK do
  local keys = { unpack(wanted, from, math.min(from + READ_CHUNK - 1, #wanted)) }
  local raws = redis.call('MGET', unpack(keys))
  for j, hoKey in ipairs(keys) do
    local raw = raws[j]
    local entries = {}
    if raw then
      local ok, decoded = decodeHistory(raw)
      if not ok or type(decoded) ~= 'table' then return refuse('the stored history of ' .. hoKey .. ' is unreadable') end
      entries = decoded
    end
    local held = {}
    local count = { H = 0, C = 0 }
    for _, e in ipairs(entries) do
      local bad = badEntry(e)
      if bad then return refuse('the stored history of ' .. hoKey .. ' holds a bad scan (' .. bad .. ')') end
      held[e[E_ID]] = true
      count[e[E_K]] = count[e[E_K]] + 1
    end
    histories[hoKey] = entries
    ids[hoKey] = held
    kinds[hoKey] = count
  end
end
for i, ev in ipairs(events) do
  if ev[V_O] > wm then
    local hoKey = prefix .. 'ho:' .. ev[V_KEY]
    local id, k = ev[V_ID], ev[V_K]
    if not ids[hoKey][id] then
      if kinds[hoKey][k] >= MAX_SCANS then
        return refuse('event ' .. i .. ': its hand-off already holds ' .. MAX_SCANS .. ' distinct ' ..
          (k == 'H' and 'HANDOVER' or 'closure') .. ' scans')
      end
      ids[hoKey][id] = true
      kinds[hoKey][k] = kinds[hoKey][k] + 1
    end
  end
end

-- 2. Apply: only checked data from here on.
local results = {}
local refused = {}
local refusedKey = prefix .. 'refused'
local anyRefused = nil
local pending = newPending()
local changed = {}
local readings = {} -- history key -> its current reading (derive), so that each scan derives once
local NOTHING = { cnt = {}, at = {}, open = {}, orph = {}, viol = {}, shifts = {}, heldAt = false, role = {} }
for i, ev in ipairs(events) do
  local offset = ev[V_O]
  if offset <= wm then
    if anyRefused == nil then anyRefused = redis.call('EXISTS', refusedKey) == 1 end
    local reason = anyRefused and redis.call('HGET', refusedKey, field .. ':' .. string.format('%d', offset))
    if reason then
      results[i] = 'U'
      refused[#refused + 1] = i
      refused[#refused + 1] = reason
    else
      results[i] = 'S'
    end
  else
    wm = offset
    local hoKey = prefix .. 'ho:' .. ev[V_KEY]
    local entries = histories[hoKey]
    local id = ev[V_ID]
    local seen = false
    for _, e in ipairs(entries) do
      if e[E_ID] == id then seen = true break end
    end
    if seen then
      -- a re-sent copy of a scan already in the history: counted where the copy itself falls
      addCount(pending, ev[V_S], ev[V_C] .. '|' .. ev[V_TO] .. '|duplicates', 1)
      pending.touched[ev[V_S]] = { ev[V_SS], ev[V_SE] }
      results[i] = 'D'
    else
      local item, to = ev[V_ITEM], ev[V_TO]
      local n = #entries
      local first = entries[1]
      if n == 0 and ev[V_K] == 'H' then
        -- fast path, a first HANDOVER: it opens the hand-off (what derive would read, without deriving)
        local shift, class, from = ev[V_S], ev[V_C], ev[V_F]
        entries[1] = { 'H', ev[V_T], id, shift, ev[V_SS], ev[V_SE], class, from }
        local field = class .. '|' .. to .. '|'
        addCount(pending, shift, field .. 'handedOut', 1)
        addCount(pending, shift, field .. 'open', 1)
        local k = shift .. '\t' .. item .. '|' .. from .. '|' .. to
        setMember(pending, prefix .. 'open:' .. shift, item .. '|' .. from .. '|' .. to, true)
        local minutes = deadlines[(isRoute(to) and 'F|' or 'R|') .. class]
        if minutes then pending.due[k .. '\t' .. class] = ev[V_T] + minutes * 60000 end
        pending.touched[shift] = { ev[V_SS], ev[V_SE] }
        readings[hoKey] = nil -- derived again if the call has more scans of this hand-off
        results[i] = 'A'
      elseif n == 1 and first[E_K] == 'H' and ev[V_K] == 'C' and ev[V_T] >= first[E_T] then
        -- fast path, the closure of an open hand-off, in order: it closes it
        local shift, class, from = first[E_S], first[E_C], first[E_F]
        local counter, consent = ev[V_N], ev[V_V]
        entries[2] = { 'C', ev[V_T], id, ev[V_S], ev[V_SS], ev[V_SE], ev[V_C], ev[V_F], counter, consent,
          now + orphanWait, 0 }
        local field = class .. '|' .. to .. '|'
        addCount(pending, shift, field .. 'open', -1)
        addCount(pending, shift, field .. counter, 1)
        local member = item .. '|' .. from .. '|' .. to
        setMember(pending, prefix .. 'open:' .. shift, member, false)
        local minutes = deadlines[(isRoute(to) and 'F|' or 'R|') .. class]
        if minutes then
          dropDeadline(prefix, pending, shift .. '\t' .. member .. '\t' .. class, shift, item, from, to, class, now)
          if ev[V_T] > first[E_T] + minutes * 60000 then addCount(pending, shift, field .. 'closedLate', 1) end
        end
        if class == 'EXPRESS' and (counter == 'locker' or counter == 'pickupPoint') and consent ~= 1 then
          addCount(pending, shift, field .. 'unconsented', 1)
          alertItem(prefix, 'UNCONSENTED_DELIVERY', shift, from, to, item, 'EXPRESS', 1, now)
        end
        pending.touched[shift] = { first[E_SS], first[E_SE] }
        readings[hoKey] = nil
        results[i] = 'A'
      else
        local before = readings[hoKey]
        if before == nil then
          before = (n == 0) and NOTHING or derive(entries, item, to, deadlines)
        end
        if ev[V_K] == 'C' then
          entries[n + 1] = { 'C', ev[V_T], id, ev[V_S], ev[V_SS], ev[V_SE], ev[V_C], ev[V_F], ev[V_N], ev[V_V],
            now + orphanWait, 0 }
        else
          entries[n + 1] = { 'H', ev[V_T], id, ev[V_S], ev[V_SS], ev[V_SE], ev[V_C], ev[V_F] }
        end
        local after = derive(entries, item, to, deadlines)
        moveLedger(prefix, hoKey, item, to, before, after, pending, now)
        readings[hoKey] = after
        results[i] = after.role[id]
      end
      changed[hoKey] = true
    end
  end
end

for hoKey in pairs(changed) do
  redis.call('SET', hoKey, encodeHistory(histories[hoKey]), 'PX', ttl)
end
flushPending(prefix, pending)
keepShifts(prefix, pending.touched, ttl, graceMs, now)
redis.call('HSET', KEYS[1], field, string.format('%d', wm))
redis.call('PEXPIRE', KEYS[1], ttl)
return { 'OK', string.format('%d', wm), table.concat(results), refused }
