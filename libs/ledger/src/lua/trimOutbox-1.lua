--[[
trimOutbox-1.lua: forgets outbox entries that are on Kafka. Idempotent: two publishers trimming the
same entries (a zombie and its successor) cannot remove one that is not published.

KEYS[1]  <prefix>outbox
ARGV[1]  the highest sequence number published

Returns how many entries are left.
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
