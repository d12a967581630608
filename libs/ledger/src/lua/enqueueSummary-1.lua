--[[
enqueueSummary-1.lua: puts a shift-close summary revision on the facility's outbox.

KEYS[1]  <prefix>summary:<shift>: chg (changes after close), pub (chg at the last revision), rev, lastAt
ARGV[1]  the facility's key prefix
ARGV[2]  shift id
ARGV[3]  now, wall clock ms
ARGV[4]  the chg value read before the ledger was read for this summary
ARGV[5]  the summary JSON; its outbox record is {"rev": the revision given here, "summary": that JSON}
ARGV[6]  the summary's message key, "<facilityId>|<shiftId>"

Returns the revision, or 0 when the summary was published meanwhile (nothing done).
]]
--- @include "history"
--- @include "derive"
--- @include "alerts"
--- @include "publish"

local prefix = ARGV[1]
local shift = ARGV[2]
local now = tonumber(ARGV[3])
local chgRead = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'chg', 'pub', 'rev')
local chg, pub, rev = tonumber(s[1] or '0'), tonumber(s[2] or '-1'), tonumber(s[3] or '0')
if pub >= chgRead then return 0 end
rev = rev + 1
redis.call('HSET', KEYS[1], 'pub', string.format('%d', chgRead), 'rev', rev, 'lastAt', string.format('%d', now))
if chg == chgRead then redis.call('SREM', prefix .. 'dirty', 'S:' .. shift) end
local closedAt = tonumber(redis.call('HGET', prefix .. 'closed', shift) or ARGV[3])
enqueue(prefix, 'S', ARGV[6], closedAt, '{"rev":' .. rev .. ',"summary":' .. ARGV[5] .. '}')
return rev
