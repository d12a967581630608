--[[
refuseScan-1.lua: records that one scan event was refused (the ledger cannot apply it) and moves the
facility's watermark past it, atomically, so that a redelivery of the event is known as refused (applyScans
answers U with the same reason) and its dead letter can be written again from that, exactly as the first time.

KEYS[1]  <prefix>wm: the facility's watermarks, "<topic>:<partition>" -> last applied offset
ARGV[1]  the facility's key prefix, "hbm:{<facilityId>}:"
ARGV[2]  watermark field, "<topic>:<partition>"
ARGV[3]  the watermark this consumer last saw here for that partition, or -1 when it has seen none
ARGV[4]  the refused event's offset
ARGV[5]  why it was refused (kept as the dead letter's detail)
ARGV[6]  how long the record is kept, ms (as long as the watermarks)

Returns {'OK', watermark}, or {'REGRESSED', watermark} without changing anything when the watermark is below
ARGV[3] (see applyScans-1.lua).
]]
local wm = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '-1')
if wm < tonumber(ARGV[3]) then
  return { 'REGRESSED', string.format('%d', wm) }
end
local offset = tonumber(ARGV[4])
if offset > wm then
  local refused = ARGV[1] .. 'refused'
  redis.call('HSET', refused, ARGV[2] .. ':' .. ARGV[4], ARGV[5])
  redis.call('PEXPIRE', refused, ARGV[6])
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  wm = offset
end
return { 'OK', string.format('%d', wm) }
