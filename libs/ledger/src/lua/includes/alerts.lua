--[[
alerts.lua: one alert per (kind, facility, shift, from, to), gathering items. Touches only keys under
`prefix`: alert:<id> (hash: kind shift from to status rev startsAt endsAt ackBy nExpress n cond),
items:<id> (set of item ids), alerts (set of the facility's alert ids), dirty (set of alert ids and
"S:<shift>" summaries the watch must look at).
]]

local function facilityOf(prefix)
  return string.match(prefix, '{(.*)}')
end

local function alertId(prefix, kind, shift, from, to)
  return string.sub(redis.sha1hex(kind .. '|' .. facilityOf(prefix) .. '|' .. shift .. '|' .. from .. '|' .. to), 1, 24)
end

-- Marks an alert as changed at `at` (ms: when its condition became true), creating it on first use.
local function touchAlert(prefix, kind, shift, from, to, at)
  local id = alertId(prefix, kind, shift, from, to)
  local key = prefix .. 'alert:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'kind', kind, 'shift', shift, 'from', from, 'to', to, 'status', '', 'rev', 0,
      'nExpress', 0, 'n', 0)
    redis.call('SADD', prefix .. 'alerts', id)
  end
  local cond = tonumber(redis.call('HGET', key, 'cond') or '')
  if cond == nil or at < cond then redis.call('HSET', key, 'cond', string.format('%d', at)) end
  redis.call('SADD', prefix .. 'dirty', id)
  return id, key
end

-- Adds (delta 1) or removes (delta -1) an item of class `class` to the alert; marks it changed if it did.
local function alertItem(prefix, kind, shift, from, to, item, class, delta, at)
  local id = alertId(prefix, kind, shift, from, to)
  local itemsKey = prefix .. 'items:' .. id
  local changed
  if delta > 0 then
    changed = redis.call('SADD', itemsKey, item)
  else
    changed = redis.call('SREM', itemsKey, item)
  end
  if changed == 1 then
    local _, key = touchAlert(prefix, kind, shift, from, to, at)
    if class == 'EXPRESS' then redis.call('HINCRBY', key, 'nExpress', delta) end
  end
end

local function overdueKind(to)
  return isRoute(to) and 'FEEDBACK_OVERDUE' or 'RECEIPT_OVERDUE'
end

-- "<shift>\t<item>|<from>|<to>" -> shift, item, from, to
local function splitMember(k)
  local shift, item, from, to = string.match(k, '^([^\t]*)\t([^|]*)|([^|]*)|(.*)$')
  return shift, item, from, to
end
