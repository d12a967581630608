--[[
takeRobotSlot-2.lua: takes one send from a chat robot's budget, shared by every subscription (and
notifier instance) that sends to that robot, or says when to try again.

KEYS[1]  sent: zset of this robot's sends, member unique, score = send time (ms)
KEYS[2]  pause: string, until when (ms) the robot is paused after a "too fast" answer (has a TTL)
ARGV[1]  now (ms)
ARGV[2]  a unique member for this send
ARGV[3..] pairs: window (ms), most sends within it (a sliding window each: 20 a minute, 5 a second)

Returns 0 when the send is taken (recorded now), else the time (ms) at which a send would fit: the
pause's end, or when the oldest send that fills a window leaves it.
]]
local now = tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  return paused
end
local longest = 0
for i = 3, #ARGV, 2 do
  longest = math.max(longest, tonumber(ARGV[i]))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
local retry = 0
for i = 3, #ARGV, 2 do
  local window, most = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local inside = redis.call('ZCOUNT', KEYS[1], '(' .. (now - window), '+inf')
  if inside >= most then
    -- the send that must leave the window before one more fits: the (inside - most + 1)-th oldest
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', inside - most, 1)
    retry = math.max(retry, tonumber(oldest[2]) + window)
  end
end
if retry > 0 then
  return retry
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], longest + 1000)
return 0
