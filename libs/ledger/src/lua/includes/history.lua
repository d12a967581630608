--[[
history.lua: the stored form of one hand-off history (see derive.lua). Touches no key.

A history is a MessagePack array of entries, each entry an array in this field order, so that no field
name is stored and the script works on what cmsgpack decodes, as it is:
  [1] k  'H' (a HANDOVER) or 'C' (a closure: RECEIPT or FEEDBACK)
  [2] t  occurredAt, ms
  [3] id eventId
  [4] s  shiftId of the owner facility at occurredAt; [5] ss, [6] se: that shift's start and end, ms
  [7] c  mail class
  [8] f  from ('' for a FEEDBACK)
  closures only:
  [9] n  closure counter (received, delivered, locker, pickupPoint, returned)
  [10] v 1 when the recipient consented, else 0
  [11] w orphan-wait deadline, wall clock ms
  [12] o 1 once the watch has made it an orphan, else 0
A history written as JSON objects by an earlier version (it starts with '[') is still read; it is written
back in this form on its next change.
]]

local E_K, E_T, E_ID, E_S, E_SS, E_SE, E_C, E_F, E_N, E_V, E_W, E_O = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12

local function decodeHistory(raw)
  if string.byte(raw, 1) ~= 91 then return pcall(cmsgpack.unpack, raw) end
  local ok, legacy = pcall(cjson.decode, raw)
  if not ok or type(legacy) ~= 'table' then return false, legacy end
  local entries = {}
  for i, e in ipairs(legacy) do
    if type(e) ~= 'table' then return false, 'an entry is not an object' end
    if e.k == 'C' then
      entries[i] = { e.k, e.t, e.id, e.s, e.ss, e.se, e.c, e.f, e.n, e.v == 1 and 1 or 0, e.w, e.o == 1 and 1 or 0 }
    else
      entries[i] = { e.k, e.t, e.id, e.s, e.ss, e.se, e.c, e.f }
    end
  end
  return true, entries
end

local function encodeHistory(entries)
  return cmsgpack.pack(entries)
end
