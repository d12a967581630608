--[[
publish.lua: turns a changed alert into its next revision, on the facility's outbox. Needs alerts.lua.
Keys under `prefix`: alert:<id>, items:<id>, ledger:<shift>, open:<shift>, orphans:<shift>, closed, outseq,
outbox (zset scored by sequence: "<A|S>\n<message key>\n<condition ms>\n<JSON>").
]]

local function iso(ms)
  local s = math.floor(ms / 1000)
  local milli = ms - s * 1000
  local days = math.floor(s / 86400)
  local secs = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(secs / 3600),
    math.floor((secs % 3600) / 60), secs % 60, milli)
end

local function enqueue(prefix, kind, key, cond, json)
  local seq = redis.call('INCR', prefix .. 'outseq')
  redis.call('ZADD', prefix .. 'outbox', seq, kind .. '\n' .. key .. '\n' .. string.format('%d', cond) .. '\n' .. json)
end

local function jsonList(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = cjson.encode(v) end
  return '[' .. table.concat(out, ',') .. ']'
end

local function plural(n, word)
  return n .. ' ' .. word .. (n == 1 and '' or 's')
end

-- The balance of a closed shift: open and orphan counts, express open, and up to 1,000 item ids.
local function shiftBalance(prefix, shift)
  local h = redis.call('HGETALL', prefix .. 'ledger:' .. shift)
  local open, orphans, expressOpen = 0, 0, 0
  for i = 1, #h, 2 do
    local field, n = h[i], tonumber(h[i + 1])
    if string.sub(field, -5) == '|open' then
      open = open + n
      if string.sub(field, 1, 8) == 'EXPRESS|' then expressOpen = expressOpen + n end
    elseif string.sub(field, -8) == '|orphans' then
      orphans = orphans + n
    end
  end
  local seen, items = {}, {}
  for _, set in ipairs({ 'open:', 'orphans:' }) do
    for _, member in ipairs(redis.call('SORT', prefix .. set .. shift, 'ALPHA', 'LIMIT', 0, 1000)) do
      local item = string.match(member, '^[^|]*')
      if not seen[item] then
        seen[item] = true
        items[#items + 1] = item
      end
    end
  end
  table.sort(items)
  while #items > 1000 do table.remove(items) end
  return open, orphans, expressOpen, items
end

local function alertText(kind, status, a, n, nExpress, open, orphans, deadlines)
  local to = a.to
  if kind == 'SHIFT_UNBALANCED' then
    if status == 'RESOLVED' then return 'Shift ' .. a.shift .. ' at ' .. a.from .. ' now balances' end
    return 'Shift ' .. a.shift .. ' at ' .. a.from .. ' closed unbalanced: ' .. plural(open, 'open hand-off') ..
      ', ' .. plural(orphans, 'orphan')
  end
  if status == 'RESOLVED' then
    if kind == 'UNCONSENTED_DELIVERY' then return 'Unconsented deliveries on ' .. to .. ' resolved' end
    if kind == 'ORPHAN_CLOSURE' then return 'Every record at ' .. to .. ' now has its hand-off' end
    return 'Every item handed to ' .. to .. ' is now accounted for'
  end
  local what = (nExpress == n) and (plural(n, 'express item')) or (plural(n, 'item') .. (nExpress > 0 and (' (' .. nExpress .. ' express)') or ''))
  if kind == 'FEEDBACK_OVERDUE' or kind == 'RECEIPT_OVERDUE' then
    local record = kind == 'FEEDBACK_OVERDUE' and 'delivery feedback' or 'receipt'
    local minutes = deadlines[(kind == 'FEEDBACK_OVERDUE' and 'F|' or 'R|') .. 'EXPRESS']
    local after = (nExpress == n and minutes) and ('after ' .. minutes .. ' min') or 'past their deadline'
    return what .. ' handed to ' .. to .. ' ' .. (n == 1 and 'has' or 'have') .. ' no ' .. record .. ' ' .. after
  end
  if kind == 'ORPHAN_CLOSURE' then
    local source = a.from == '' and '' or (' from ' .. a.from)
    return plural(n, 'record') .. ' at ' .. to .. ' ' .. (n == 1 and 'has' or 'have') .. ' no hand-off' .. source
  end
  return what .. ' on ' .. to .. ' put in a locker or pickup point without the recipient\'s consent'
end

local severityOf = {
  FEEDBACK_OVERDUE = 'critical',
  UNCONSENTED_DELIVERY = 'critical',
  ORPHAN_CLOSURE = 'warning',
}

-- Publishes the alert's next revision if it changed visibly; returns 1 if it did, else 0.
local function publishAlert(prefix, id, now, deadlines)
  local key = prefix .. 'alert:' .. id
  local raw = redis.call('HGETALL', key)
  local a = {}
  for i = 1, #raw, 2 do a[raw[i]] = raw[i + 1] end
  if a.kind == nil then return 0 end
  local kind, status = a.kind, a.status
  local n, nExpress, items, open, orphans
  if kind == 'SHIFT_UNBALANCED' then
    if redis.call('HEXISTS', prefix .. 'closed', a.shift) == 0 then return 0 end
    local expressOpen
    open, orphans, expressOpen, items = shiftBalance(prefix, a.shift)
    n = open + orphans
    nExpress = expressOpen
  else
    n = redis.call('SCARD', prefix .. 'items:' .. id)
    nExpress = tonumber(a.nExpress)
    items = redis.call('SORT', prefix .. 'items:' .. id, 'ALPHA', 'LIMIT', 0, 1000)
  end
  -- an acknowledgement (ackAlert-1.lua) waiting for its revision: there is one, changed or not
  local ack = a.ack
  local want = (n > 0) and 'FIRING' or (status == 'FIRING' and 'RESOLVED' or nil)
  if want == nil and ack and status == 'RESOLVED' then want = status end
  if want == nil then
    redis.call('HDEL', key, 'cond', 'ack')
    return 0
  end
  if not ack and want == status and tonumber(a.n) == n and (kind == 'SHIFT_UNBALANCED' or want == 'RESOLVED') then
    redis.call('HDEL', key, 'cond')
    return 0
  end
  local cond = tonumber(a.cond or '') or now
  local rev = tonumber(a.rev) + 1
  local startsAt = tonumber(a.startsAt or '')
  local ackBy = a.ackBy or ''
  if want == 'FIRING' and status ~= 'FIRING' then
    startsAt = cond
    ackBy = ''
  end
  if ack then ackBy = ack end
  startsAt = startsAt or cond
  local endsAt = nil
  if want == 'RESOLVED' then endsAt = (status == 'RESOLVED' and tonumber(a.endsAt or '')) or now end
  redis.call('HSET', key, 'status', want, 'rev', rev, 'n', n, 'startsAt', string.format('%d', startsAt),
    'updatedAt', string.format('%d', now), 'endsAt', endsAt and string.format('%d', endsAt) or '', 'ackBy', ackBy)
  redis.call('HDEL', key, 'cond', 'ack')
  local severity = severityOf[kind]
  if severity == nil then severity = nExpress > 0 and 'critical' or 'warning' end
  local json = '{"alertId":' .. cjson.encode(id) ..
    ',"kind":' .. cjson.encode(kind) ..
    ',"status":' .. cjson.encode(want) ..
    ',"severity":' .. cjson.encode(severity) ..
    ',"facilityId":' .. cjson.encode(facilityOf(prefix)) ..
    ',"shiftId":' .. cjson.encode(a.shift) ..
    ',"from":' .. (a.from == '' and 'null' or cjson.encode(a.from)) ..
    ',"to":' .. (a.to == '' and 'null' or cjson.encode(a.to)) ..
    ',"itemCount":' .. n ..
    ',"items":' .. jsonList(items) ..
    ',"startsAt":' .. cjson.encode(iso(startsAt)) ..
    ',"updatedAt":' .. cjson.encode(iso(now)) ..
    ',"endsAt":' .. (endsAt and cjson.encode(iso(endsAt)) or 'null') ..
    ',"revision":' .. rev ..
    ',"acknowledgedBy":' .. (ackBy == '' and 'null' or cjson.encode(ackBy)) ..
    ',"text":' .. cjson.encode(alertText(kind, want, a, n, nExpress, open, orphans, deadlines)) .. '}'
  enqueue(prefix, 'A', id, cond, json)
  return 1
end
