--[[
publish.lua: moves a changed alert to its next revision and puts that revision's state on the facility's
outbox. Needs alerts.lua. The outbox holds state, not messages: TypeScript builds each message from its
zod schema (libs/ledger/src/outbox.ts) when it is sent, so the contract, the alert text and the severity
policy are written once, there.
Keys under `prefix`: alert:<id>, items:<id>, ledger:<shift>, open:<shift>, orphans:<shift>, closed, outseq,
outbox (zset scored by sequence: "<A|S>\n<message key>\n<condition ms>\n<JSON record>").
]]

local function enqueue(prefix, kind, key, cond, json)
  local seq = redis.call('INCR', prefix .. 'outseq')
  redis.call('ZADD', prefix .. 'outbox', seq, kind .. '\n' .. key .. '\n' .. string.format('%d', cond) .. '\n' .. json)
end

local function jsonList(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = cjson.encode(v) end
  return '[' .. table.concat(out, ',') .. ']'
end

-- The balance of a closed shift: open and orphan counts, express open, and up to maxItems item ids.
local function shiftBalance(prefix, shift, maxItems)
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
    for _, member in ipairs(redis.call('SORT', prefix .. set .. shift, 'ALPHA', 'LIMIT', 0, maxItems)) do
      local item = string.match(member, '^[^|]*')
      if not seen[item] then
        seen[item] = true
        items[#items + 1] = item
      end
    end
  end
  table.sort(items)
  while #items > maxItems do table.remove(items) end
  return open, orphans, expressOpen, items
end

-- Puts the alert's next revision on the outbox if it changed visibly; returns 1 if it did, else 0. Its
-- record: items (at most maxItems), kind, status, shift, from, to ('' for none), n (the item count),
-- nExpress, open and orphans (a shift's balance), startsAt, updatedAt, endsAt ('' while firing: times as
-- ms digits), rev, ackBy ('' for nobody).
local function publishAlert(prefix, id, now, maxItems)
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
    open, orphans, expressOpen, items = shiftBalance(prefix, a.shift, maxItems)
    n = open + orphans
    nExpress = expressOpen
  else
    n = redis.call('SCARD', prefix .. 'items:' .. id)
    nExpress = tonumber(a.nExpress)
    items = redis.call('SORT', prefix .. 'items:' .. id, 'ALPHA', 'LIMIT', 0, maxItems)
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
  local record = cjson.encode({
    kind = kind, status = want, shift = a.shift, from = a.from, to = a.to,
    n = n, nExpress = nExpress, open = open or 0, orphans = orphans or 0,
    startsAt = string.format('%d', startsAt), updatedAt = string.format('%d', now),
    endsAt = endsAt and string.format('%d', endsAt) or '', rev = rev, ackBy = ackBy,
  })
  -- items apart: cjson writes an empty table as {}, and the record's fields never are one
  enqueue(prefix, 'A', id, cond, '{"items":' .. jsonList(items) .. ',' .. string.sub(record, 2))
  return 1
end
