--[[
derive.lua: the canonical reading of one hand-off history. Touches no key.

A history holds every distinct scan of one (itemId, from, to): HANDOVERs ('H') and closures ('C': a
RECEIPT or a FEEDBACK). Its reading walks the scans in event-time order (occurredAt, then H before C,
then eventId), never arrival order, so any arrival order of the same scans reads the same:
  - an H with no open hand-off, later than the previous closure, opens a hand-off (handedOut);
  - any other H is a double scan (duplicates, in the H's own shift);
  - a C closes the open hand-off (received/delivered/locker/pickupPoint/returned, in the hand-off's shift;
    closedLate too when it came after the hand-off's deadline);
  - a C right after a closure, with no H between, is a double scan of the closure (duplicates);
  - any other C waits for its H (held) until the orphan wait has passed and the watch marks it (o = 1):
    from then on it counts as an orphan in its own shift, until an H that precedes it arrives.
Entries are arrays, indexed by the E_* names of history.lua (kind, occurredAt, eventId, shift and its
span, mail class, from; for a closure also its counter, consent, orphan-wait deadline, orphan mark).
`deadlines` maps "R|<class>" (to a facility: receipt) and "F|<class>" (to a route: feedback) to minutes.
]]

local function scanBefore(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  if a[1] ~= b[1] then return a[1] == 'H' end
  return a[3] < b[3]
end

local function isRoute(segment)
  return string.find(segment, '/', 1, true) ~= nil
end

-- The reading: cnt["<shift>\t<class>|<to>|<counter>"] = n, with at[same] = {shift, "<class>|<to>|<counter>"};
-- open["<shift>\t<item>|<from>|<to>"] = {d = deadline ms or 0, c = class, s = shift, f = from};
-- orph[same] = {w = orphan-wait deadline ms, s = shift, f = from}; viol[same] = {s = shift, f = from} (an
-- unconsented express delivery); shifts[shift] = {ss, se}; heldAt = earliest wait deadline of a waiting
-- closure (or false); role[eventId] = 'A' applied, 'D' duplicate, 'O' closure without its hand-off.
-- `item` and `to` are the history's own.
local function derive(entries, item, to, deadlines)
  if #entries > 1 then table.sort(entries, scanBefore) end
  local r = { cnt = {}, at = {}, open = {}, orph = {}, viol = {}, shifts = {}, heldAt = false, role = {} }
  local cnt, at = r.cnt, r.at
  local function bump(e, counter)
    local field = e[E_C] .. '|' .. to .. '|' .. counter
    local k = e[E_S] .. '\t' .. field
    local n = cnt[k]
    if n then
      cnt[k] = n + 1
    else
      cnt[k] = 1
      at[k] = { e[E_S], field }
    end
    r.shifts[e[E_S]] = { e[E_SS], e[E_SE] }
  end
  local opened = nil
  local lastClosure = nil
  local afterClosure = false
  for _, e in ipairs(entries) do
    if e[E_K] == 'H' then
      if opened or (lastClosure and e[E_T] <= lastClosure) then
        bump(e, 'duplicates')
        r.role[e[E_ID]] = 'D'
      else
        opened = e
        afterClosure = false
        bump(e, 'handedOut')
        r.role[e[E_ID]] = 'A'
      end
    elseif opened then
      bump(opened, e[E_N])
      local minutes = deadlines[(isRoute(to) and 'F|' or 'R|') .. opened[E_C]]
      if minutes and e[E_T] > opened[E_T] + minutes * 60000 then bump(opened, 'closedLate') end
      if opened[E_C] == 'EXPRESS' and (e[E_N] == 'locker' or e[E_N] == 'pickupPoint') and e[E_V] ~= 1 then
        bump(opened, 'unconsented')
        r.viol[opened[E_S] .. '\t' .. item .. '|' .. opened[E_F] .. '|' .. to] = { s = opened[E_S], f = opened[E_F] }
      end
      r.role[e[E_ID]] = 'A'
      lastClosure = e[E_T]
      afterClosure = true
      opened = nil
    elseif afterClosure then
      bump(e, 'duplicates')
      r.role[e[E_ID]] = 'D'
    else
      r.role[e[E_ID]] = 'O'
      if e[E_O] == 1 then
        bump(e, 'orphans')
        r.orph[e[E_S] .. '\t' .. item .. '|' .. e[E_F] .. '|' .. to] = { w = e[E_W], s = e[E_S], f = e[E_F] }
      elseif r.heldAt == false or e[E_W] < r.heldAt then
        r.heldAt = e[E_W]
      end
    end
  end
  if opened then
    bump(opened, 'open')
    local minutes = deadlines[(isRoute(to) and 'F|' or 'R|') .. opened[E_C]]
    r.open[opened[E_S] .. '\t' .. item .. '|' .. opened[E_F] .. '|' .. to] = {
      d = minutes and (opened[E_T] + minutes * 60000) or 0,
      c = opened[E_C],
      s = opened[E_S],
      f = opened[E_F],
    }
  end
  return r
end
