--[[
derive.lua: the canonical reading of one hand-off history. Touches no key.

A history holds every distinct scan of one (itemId, from, to): HANDOVERs ('H') and closures ('C': a
RECEIPT or a FEEDBACK). Its reading walks the scans in event-time order (occurredAt, then H before C,
then eventId), never arrival order, so any arrival order of the same scans reads the same:
  - an H with no open hand-off, later than the previous closure, opens a hand-off (handedOut);
  - any other H is a double scan (duplicates, in the H's own shift);
  - a C closes the open hand-off (received/delivered/locker/pickupPoint/returned, in the hand-off's shift);
  - a C right after a closure, with no H between, is a double scan of the closure (duplicates);
  - any other C waits for its H (held) until the orphan wait has passed and the watch marks it (o = 1):
    from then on it counts as an orphan in its own shift, until an H that precedes it arrives.
Entry fields: k kind, t occurredAt ms, id eventId, s shiftId, ss shift start ms, se shift end ms,
c mail class, f from, n closure counter, v consent given, w orphan-wait deadline ms (wall clock),
o promoted to orphan.
`deadlines` maps "R|<class>" (to a facility: receipt) and "F|<class>" (to a route: feedback) to minutes.
]]

local function scanBefore(a, b)
  if a.t ~= b.t then return a.t < b.t end
  if a.k ~= b.k then return a.k == 'H' end
  return a.id < b.id
end

local function isRoute(segment)
  return string.find(segment, '/', 1, true) ~= nil
end

-- The reading: cnt["<shift>\t<class>|<to>|<counter>"] = n; open["<shift>\t<item>|<from>|<to>"] = {d = deadline ms
-- or 0, c = class}; orph[same] = orphan-wait deadline ms; viol[same] = true (an unconsented express delivery);
-- shifts[shift] = {ss, se}; heldAt = earliest wait deadline of a waiting closure (or false);
-- role[eventId] = 'A' applied, 'D' duplicate, 'O' closure without its hand-off.
local function derive(entries, item, to, deadlines)
  table.sort(entries, scanBefore)
  local r = { cnt = {}, open = {}, orph = {}, viol = {}, shifts = {}, heldAt = false, role = {} }
  local function bump(e, counter)
    local k = e.s .. '\t' .. e.c .. '|' .. to .. '|' .. counter
    r.cnt[k] = (r.cnt[k] or 0) + 1
    r.shifts[e.s] = { e.ss, e.se }
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
        r.viol[opened.s .. '\t' .. item .. '|' .. opened.f .. '|' .. to] = true
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
        r.orph[e.s .. '\t' .. item .. '|' .. e.f .. '|' .. to] = e.w
      elseif r.heldAt == false or e.w < r.heldAt then
        r.heldAt = e.w
      end
    end
  end
  if opened then
    bump(opened, 'open')
    local minutes = deadlines[(isRoute(to) and 'F|' or 'R|') .. opened.c]
    r.open[opened.s .. '\t' .. item .. '|' .. opened.f .. '|' .. to] = {
      d = minutes and (opened.t + minutes * 60000) or 0,
      c = opened.c,
    }
  end
  return r
end
