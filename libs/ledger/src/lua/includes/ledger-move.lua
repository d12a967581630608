--[[
ledger-move.lua: moves a facility's ledger, its deadlines and its alerts from one reading of a hand-off
history to another (see derive.lua), and keeps the touched shifts. Needs derive.lua and alerts.lua.
Keys under `prefix`: ledger:<shift>, open:<shift>, orphans:<shift>, held, due (open hand-offs with a
deadline: "<shift>\t<item>|<from>|<to>\t<class>" scored by the deadline), shifts, closes (shifts not closed
yet, scored by their close time), closed (shift -> closed at ms), summary:<shift> (chg: changes after close).
]]

local function splitShift(k)
  local tab = string.find(k, '\t', 1, true)
  return string.sub(k, 1, tab - 1), string.sub(k, tab + 1)
end

local function moveLedger(prefix, hoKey, a, b, touched, now)
  for k, n in pairs(b.cnt) do
    local d = n - (a.cnt[k] or 0)
    if d ~= 0 then
      local shift, field = splitShift(k)
      redis.call('HINCRBY', prefix .. 'ledger:' .. shift, field, d)
    end
  end
  for k, n in pairs(a.cnt) do
    if b.cnt[k] == nil then
      local shift, field = splitShift(k)
      redis.call('HINCRBY', prefix .. 'ledger:' .. shift, field, -n)
    end
  end
  -- open hand-offs: the open set, their deadline, and the overdue alert once it has fired
  for k, o in pairs(b.open) do
    if not a.open[k] then
      local shift, member = splitShift(k)
      redis.call('SADD', prefix .. 'open:' .. shift, member)
      if o.d > 0 then redis.call('ZADD', prefix .. 'due', o.d, k .. '\t' .. o.c) end
    end
  end
  for k, o in pairs(a.open) do
    if not b.open[k] then
      local shift, item, from, to = splitMember(k)
      redis.call('SREM', prefix .. 'open:' .. shift, item .. '|' .. from .. '|' .. to)
      if o.d > 0 and redis.call('ZREM', prefix .. 'due', k .. '\t' .. o.c) == 0 then
        alertItem(prefix, overdueKind(to), shift, from, to, item, o.c, -1, now)
      end
    end
  end
  -- orphans: the orphan set and the orphan alert
  for k, w in pairs(b.orph) do
    if not a.orph[k] then
      local shift, item, from, to = splitMember(k)
      redis.call('SADD', prefix .. 'orphans:' .. shift, item .. '|' .. from .. '|' .. to)
      alertItem(prefix, 'ORPHAN_CLOSURE', shift, from, to, item, '', 1, w)
    end
  end
  for k in pairs(a.orph) do
    if not b.orph[k] then
      local shift, item, from, to = splitMember(k)
      redis.call('SREM', prefix .. 'orphans:' .. shift, item .. '|' .. from .. '|' .. to)
      alertItem(prefix, 'ORPHAN_CLOSURE', shift, from, to, item, '', -1, now)
    end
  end
  -- violations stay in their alert until a person resolves it
  for k in pairs(b.viol) do
    if not a.viol[k] then
      local shift, item, from, to = splitMember(k)
      alertItem(prefix, 'UNCONSENTED_DELIVERY', shift, from, to, item, 'EXPRESS', 1, now)
    end
  end
  if a.heldAt ~= b.heldAt then
    if b.heldAt then
      redis.call('ZADD', prefix .. 'held', b.heldAt, hoKey)
    else
      redis.call('ZREM', prefix .. 'held', hoKey)
    end
  end
  for shift, span in pairs(a.shifts) do touched[shift] = span end
  for shift, span in pairs(b.shifts) do touched[shift] = span end
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
