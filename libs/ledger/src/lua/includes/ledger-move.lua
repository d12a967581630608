--[[
ledger-move.lua: moves a facility's ledger, its deadlines and its alerts from one reading of a hand-off
history to another (see derive.lua), and keeps the touched shifts. Needs derive.lua and alerts.lua.
Keys under `prefix`: ledger:<shift>, open:<shift>, orphans:<shift>, held, due (open hand-offs with a
deadline: "<shift>\t<item>|<from>|<to>\t<class>" scored by the deadline), shifts, closes (shifts not closed
yet, scored by their close time), closed (shift -> closed at ms), summary:<shift> (chg: changes after close).

The counters, the open and orphan sets and the new deadlines of a whole script call are gathered in a
`pending` table (newPending) and written once at its end (flushPending): one HINCRBY per counter a call
changed, one SADD and one SREM per set, one ZADD, instead of several commands per scan.
]]

local function newPending()
  return { cnt = {}, sets = {}, due = {}, touched = {} }
end

local function addCount(p, shift, field, d)
  local fields = p.cnt[shift]
  if fields == nil then
    fields = {}
    p.cnt[shift] = fields
  end
  fields[field] = (fields[field] or 0) + d
end

-- the member's final presence in the set is what is written (SADD and SREM answers are not needed)
local function setMember(p, key, member, present)
  local members = p.sets[key]
  if members == nil then
    members = {}
    p.sets[key] = members
  end
  members[member] = present
end

-- A closed hand-off's deadline leaves the due zset; if the watch had fired it already (the member is
-- gone), the item leaves its overdue alert. `member` is "<shift>\t<item>|<from>|<to>\t<class>".
local function dropDeadline(prefix, p, member, shift, item, from, to, class, now)
  if p.due[member] then
    p.due[member] = nil -- opened in this call: never in the zset, so it cannot have fired
  elseif redis.call('ZREM', prefix .. 'due', member) == 0 then
    alertItem(prefix, overdueKind(to), shift, from, to, item, class, -1, now)
  end
end

-- `item` and `to` are the history's (the readings' keys and members are built from them).
local function moveLedger(prefix, hoKey, item, to, a, b, p, now)
  for k, n in pairs(b.cnt) do
    local d = n - (a.cnt[k] or 0)
    if d ~= 0 then
      local at = b.at[k]
      addCount(p, at[1], at[2], d)
    end
  end
  for k, n in pairs(a.cnt) do
    if b.cnt[k] == nil then
      local at = a.at[k]
      addCount(p, at[1], at[2], -n)
    end
  end
  -- open hand-offs: the open set, their deadline, and the overdue alert once it has fired
  for k, o in pairs(b.open) do
    if not a.open[k] then
      setMember(p, prefix .. 'open:' .. o.s, item .. '|' .. o.f .. '|' .. to, true)
      if o.d > 0 then p.due[k .. '\t' .. o.c] = o.d end
    end
  end
  for k, o in pairs(a.open) do
    if not b.open[k] then
      setMember(p, prefix .. 'open:' .. o.s, item .. '|' .. o.f .. '|' .. to, false)
      if o.d > 0 then dropDeadline(prefix, p, k .. '\t' .. o.c, o.s, item, o.f, to, o.c, now) end
    end
  end
  -- orphans: the orphan set and the orphan alert
  for k, o in pairs(b.orph) do
    if not a.orph[k] then
      setMember(p, prefix .. 'orphans:' .. o.s, item .. '|' .. o.f .. '|' .. to, true)
      alertItem(prefix, 'ORPHAN_CLOSURE', o.s, o.f, to, item, '', 1, o.w)
    end
  end
  for k, o in pairs(a.orph) do
    if not b.orph[k] then
      setMember(p, prefix .. 'orphans:' .. o.s, item .. '|' .. o.f .. '|' .. to, false)
      alertItem(prefix, 'ORPHAN_CLOSURE', o.s, o.f, to, item, '', -1, now)
    end
  end
  -- violations stay in their alert until a person resolves it
  for k, o in pairs(b.viol) do
    if not a.viol[k] then
      alertItem(prefix, 'UNCONSENTED_DELIVERY', o.s, o.f, to, item, 'EXPRESS', 1, now)
    end
  end
  if a.heldAt ~= b.heldAt then
    if b.heldAt then
      redis.call('ZADD', prefix .. 'held', b.heldAt, hoKey)
    else
      redis.call('ZREM', prefix .. 'held', hoKey)
    end
  end
  for shift, span in pairs(a.shifts) do p.touched[shift] = span end
  for shift, span in pairs(b.shifts) do p.touched[shift] = span end
end

-- Calls `command key args...` with the arguments in chunks (Lua's unpack has a stack limit).
local function callChunked(command, key, args)
  local CHUNK = 400
  for from = 1, #args, CHUNK do
    redis.call(command, key, unpack(args, from, math.min(from + CHUNK - 1, #args)))
  end
end

-- Writes what moveLedger gathered: counters (a counter that went up and down again is still created,
-- at 0, as a command per change would have), set members, new deadlines.
local function flushPending(prefix, p)
  for shift, fields in pairs(p.cnt) do
    local key = prefix .. 'ledger:' .. shift
    for field, d in pairs(fields) do redis.call('HINCRBY', key, field, d) end
  end
  for key, members in pairs(p.sets) do
    local add, remove = {}, {}
    for member, present in pairs(members) do
      if present then add[#add + 1] = member else remove[#remove + 1] = member end
    end
    if #remove > 0 then callChunked('SREM', key, remove) end
    if #add > 0 then callChunked('SADD', key, add) end
  end
  local due = {}
  for member, score in pairs(p.due) do
    due[#due + 1] = score
    due[#due + 1] = member
  end
  if #due > 0 then callChunked('ZADD', prefix .. 'due', due) end
  p.cnt, p.sets, p.due = {}, {}, {}
end

-- Registers the touched shifts (index, close time) and keeps their keys `ttl` ms more; a change to a
-- shift that has closed already marks its summary and its balance alert for the watch.
local function keepShifts(prefix, touched, ttl, graceMs, now)
  for shift, span in pairs(touched) do
    redis.call('ZADD', prefix .. 'shifts', span[1], shift)
    redis.call('PEXPIRE', prefix .. 'ledger:' .. shift, ttl)
    redis.call('PEXPIRE', prefix .. 'open:' .. shift, ttl)
    redis.call('PEXPIRE', prefix .. 'orphans:' .. shift, ttl)
    if redis.call('HEXISTS', prefix .. 'closed', shift) == 1 then
      redis.call('HINCRBY', prefix .. 'summary:' .. shift, 'chg', 1)
      redis.call('SADD', prefix .. 'dirty', 'S:' .. shift)
      touchAlert(prefix, 'SHIFT_UNBALANCED', shift, facilityOf(prefix), '', now)
    else
      redis.call('ZADD', prefix .. 'closes', 'NX', span[2] + graceMs, shift)
    end
  end
end
