--[[
derive.lua: the canonical reading of one hand-off history, and how to move the ledger from one reading
to another. Included by the scripts that change a history; it touches no key itself.

A history holds every distinct scan of one (itemId, from, to): HANDOVERs ('H') and closures ('C': a
RECEIPT or a FEEDBACK). Its reading walks the scans in event-time order (occurredAt, then H before C,
then eventId), never arrival order, so any arrival order of the same scans reads the same:
  - an H with no open hand-off, later than the previous closure, opens a hand-off (handedOut);
  - any other H is a double scan (duplicates, in the H's own shift);
  - a C closes the open hand-off (received/delivered/locker/pickupPoint/returned, in the hand-off's shift);
  - a C right after a closure, with no H between, is a double scan of the closure (duplicates);
  - any other C waits for its H (held) until the orphan wait has passed and the watch marks it (o = 1):
    from then on it counts as an orphan in its own shift, until an H that precedes it arrives.
Entry fields: k kind, t occurredAt ms, id eventId, s shiftId, ss shift start ms, c mail class, f from,
n closure counter, v consent given, w orphan-wait deadline ms (wall clock), o promoted to orphan.
]]

local function scanBefore(a, b)
  if a.t ~= b.t then return a.t < b.t end
  if a.k ~= b.k then return a.k == 'H' end
  return a.id < b.id
end

-- Returns the reading: cnt["<shift>\t<class>|<to>|<counter>"] = n, open/orph["<shift>\t<item>|<from>|<to>"] = true,
-- shifts[shift] = start ms, heldAt = earliest orphan-wait deadline of a waiting closure (or false),
-- role[eventId] = 'A' applied, 'D' duplicate, 'O' closure without its hand-off.
local function derive(entries, item, to)
  table.sort(entries, scanBefore)
  local r = { cnt = {}, open = {}, orph = {}, shifts = {}, heldAt = false, role = {} }
  local function bump(e, counter)
    local k = e.s .. '\t' .. e.c .. '|' .. to .. '|' .. counter
    r.cnt[k] = (r.cnt[k] or 0) + 1
    r.shifts[e.s] = e.ss
  end
  local opened = nil
  local lastClosure = nil
  local afterClosure = false
  for _, e in ipairs(entries) do
    if e.k == 'H' then
      if opened or (lastClosure and e.t <= lastClosure) then
        bump(e, 'duplicates')
        r.role[e.id] = 'D'
      else
        opened = e
        afterClosure = false
        bump(e, 'handedOut')
        r.role[e.id] = 'A'
      end
    elseif opened then
      bump(opened, e.n)
      if opened.c == 'EXPRESS' and (e.n == 'locker' or e.n == 'pickupPoint') and e.v ~= 1 then
        bump(opened, 'unconsented')
      end
      r.role[e.id] = 'A'
      lastClosure = e.t
      afterClosure = true
      opened = nil
    elseif afterClosure then
      bump(e, 'duplicates')
      r.role[e.id] = 'D'
    else
      r.role[e.id] = 'O'
      if e.o == 1 then
        bump(e, 'orphans')
        r.orph[e.s .. '\t' .. item .. '|' .. e.f .. '|' .. to] = true
      elseif r.heldAt == false or e.w < r.heldAt then
        r.heldAt = e.w
      end
    end
  end
  if opened then
    bump(opened, 'open')
    r.open[opened.s .. '\t' .. item .. '|' .. opened.f .. '|' .. to] = true
  end
  return r
end

local function splitShift(k)
  local tab = string.find(k, '\t', 1, true)
  return string.sub(k, 1, tab - 1), string.sub(k, tab + 1)
end

-- Moves the ledger of facility `prefix` from reading `a` to reading `b` of the hand-off history `hoKey`.
-- touched[shift] = start ms collects the shifts whose keys were written.
local function moveLedger(prefix, hoKey, a, b, touched)
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
  for _, set in ipairs({ 'open', 'orph' }) do
    local name = set == 'open' and 'open:' or 'orphans:'
    for k in pairs(b[set]) do
      if not a[set][k] then
        local shift, member = splitShift(k)
        redis.call('SADD', prefix .. name .. shift, member)
      end
    end
    for k in pairs(a[set]) do
      if not b[set][k] then
        local shift, member = splitShift(k)
        redis.call('SREM', prefix .. name .. shift, member)
      end
    end
  end
  if a.heldAt ~= b.heldAt then
    if b.heldAt then
      redis.call('ZADD', prefix .. 'held', b.heldAt, hoKey)
    else
      redis.call('ZREM', prefix .. 'held', hoKey)
    end
  end
  for shift, ss in pairs(a.shifts) do touched[shift] = ss end
  for shift, ss in pairs(b.shifts) do touched[shift] = ss end
end

-- Registers the touched shifts in the facility's shift index and keeps their keys for `ttl` ms more.
local function keepShifts(prefix, touched, ttl)
  for shift, ss in pairs(touched) do
    redis.call('ZADD', prefix .. 'shifts', ss, shift)
    redis.call('PEXPIRE', prefix .. 'ledger:' .. shift, ttl)
    redis.call('PEXPIRE', prefix .. 'open:' .. shift, ttl)
    redis.call('PEXPIRE', prefix .. 'orphans:' .. shift, ttl)
  end
end
