"""The Lua scripts that make the shared tier's multi-key steps atomic in Redis.

Each script runs alone on the server, so a decision and its bookkeeping cannot be
interleaved with another process's. Numbers cross the Lua boundary as strings
(Redis truncates Lua numbers to integers in replies).

In-flight markers (``<ns>i:<id>``, one field per idempotency key) read
``feature|amount|t_ms|state`` with ``state`` ``a`` (accepted) or ``u`` (outcome
unknown since ``t_ms``); the per-feature counters in ``<ns>p:<id>`` are their sums.
"""

from __future__ import annotations

__all__ = [
    "ACQUIRE_LEASE",
    "APPLY_USAGE",
    "CONSUME",
    "RELEASE_LEASE",
    "RENEW_LEASE",
    "SETTLE",
    "TRACK",
    "WRITE_STATE",
]

# Shared helpers, prepended to the scripts that need them.
_SPLIT = """
local function split(s)
  local out = {}
  for part in string.gmatch(s .. '|', '([^|]*)|') do out[#out + 1] = part end
  return out
end
"""

# Newest-wins usage: replace the meter's usage when the change is newer; of two
# changes measured in the same millisecond the higher usage wins (the safe side).
_APPLY = """
local function apply_usage(state, feature, usage, usage_ms)
  local m = redis.call('HGET', state, 'm:' .. feature)
  if not m then return 0 end
  local p = split(m)
  local stored_ms = tonumber(p[5])
  if stored_ms > usage_ms then return 0 end
  if stored_ms == usage_ms and tonumber(p[3]) >= tonumber(usage) then return 0 end
  p[3] = usage
  p[5] = tostring(usage_ms)
  redis.call('HSET', state, 'm:' .. feature, table.concat(p, '|'))
  return 1
end
"""

#: KEYS: lease, fence. ARGV: token, ttl_ms.
#: Returns the new fencing number, or 0 when another process holds the lease.
ACQUIRE_LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
"""

#: KEYS: lease. ARGV: token, ttl_ms. Returns 1 when still held (and extended), else 0.
RENEW_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

#: KEYS: lease. ARGV: token. Deletes the lease only if this process holds it.
RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

#: KEYS: state, fence, pending, in_flight.
#: ARGV: fence (0: fill, only when absent), blob, fetched_ms, ttl_ms, denial ('' none),
#:       orphan_before_ms, channel, message, then feature/meter pairs.
#: Returns 1 written, 0 refused (fill: already present), -1 refused (older fence),
#: -2 refused (same fence, older fetch).
WRITE_STATE = (
    _SPLIT
    + """
local fence = tonumber(ARGV[1])
local fetched = tonumber(ARGV[3])
if fence == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
else
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  local stored = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
  if fence < current or fence < stored then return -1 end
  if fence == stored and fetched < tonumber(redis.call('HGET', KEYS[1], 't') or '0') then
    return -2
  end
end
local fields = {'f', ARGV[1], 'd', ARGV[2], 't', ARGV[3]}
if ARGV[5] ~= '' then
  fields[#fields + 1] = 'den'
  fields[#fields + 1] = ARGV[5]
end
for i = 9, #ARGV, 2 do
  local meter = ARGV[i + 1]
  local old = redis.call('HGET', KEYS[1], 'm:' .. ARGV[i])
  if old then
    -- a usage change newer than this fetch is kept, never rolled back
    local o = split(old)
    local n = split(meter)
    if tonumber(o[5]) > fetched then
      n[3] = o[3]
      n[5] = o[5]
      meter = table.concat(n, '|')
    end
  end
  fields[#fields + 1] = 'm:' .. ARGV[i]
  fields[#fields + 1] = meter
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- The server's usage now includes what landed: unknown outcomes from before this
-- fetch, and items a dead process never settled, leave the pending count.
local orphan = tonumber(ARGV[6])
local items = redis.call('HGETALL', KEYS[4])
for i = 1, #items, 2 do
  local p = split(items[i + 1])
  local t = tonumber(p[3])
  if (p[4] == 'u' and t < fetched) or t < orphan then
    redis.call('HDEL', KEYS[4], items[i])
    redis.call('HINCRBYFLOAT', KEYS[3], p[1], -tonumber(p[2]))
  end
end
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
return 1
"""
)

#: KEYS: state, pending, in_flight. ARGV: feature, amount, now_ms, idempotency key, ttl_ms.
#: Returns {verdict, reason, usage, pending}; verdict is ``grant``, ``deny``, ``miss``
#: (no snapshot in Redis) or ``dup`` (this idempotency key was counted already).
CONSUME = (
    _SPLIT
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'miss', '', '0', '0'} end
local den = redis.call('HGET', KEYS[1], 'den')
if den then return {'deny', den, '0', '0'} end
local m = redis.call('HGET', KEYS[1], 'm:' .. ARGV[1])
if not m then return {'deny', 'NoFeatureEntitlementInSubscription', '0', '0'} end
local p = split(m)
local kind = p[1]
if kind == 'D' then return {'deny', p[6], p[3], '0'} end
if kind == 'G' then return {'grant', '', '0', '0'} end
if redis.call('HEXISTS', KEYS[3], ARGV[4]) == 1 then return {'dup', '', p[3], '0'} end
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local usage = tonumber(p[3])
local reset = tonumber(p[4])
if reset > 0 and now >= reset then usage = 0 end
local pending = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if kind == 'M' and usage + pending + amount > tonumber(p[2]) then
  return {'deny', 'RequestedUsageExceedingLimit', tostring(usage), tostring(pending)}
end
local total = redis.call('HINCRBYFLOAT', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|a')
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return {'grant', '', tostring(usage), total}
"""
)

#: KEYS: pending, in_flight. ARGV: feature, amount, now_ms, idempotency key, ttl_ms.
#: Counts a tracked item once per idempotency key. Returns 1 counted, 0 already counted.
TRACK = """
local marker = ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|a'
if redis.call('HSETNX', KEYS[2], ARGV[4], marker) == 0 then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
"""

#: KEYS: pending, in_flight, state.
#: ARGV: idempotency key, outcome (``delivered`` | ``failed`` | ``unknown``), now_ms,
#:       feature, usage ('' none), usage_ms, channel, message.
#: Returns 1 when the item left the pending count, 2 when marked unknown, 0 when this
#: key was not (or no longer) counted: a second delivery never decrements twice.
SETTLE = (
    _SPLIT
    + _APPLY
    + """
local result = 0
local marker = redis.call('HGET', KEYS[2], ARGV[1])
if marker then
  local p = split(marker)
  if ARGV[2] == 'unknown' then
    redis.call('HSET', KEYS[2], ARGV[1], p[1] .. '|' .. p[2] .. '|' .. ARGV[3] .. '|u')
    result = 2
  else
    redis.call('HDEL', KEYS[2], ARGV[1])
    redis.call('HINCRBYFLOAT', KEYS[1], p[1], -tonumber(p[2]))
    result = 1
    if ARGV[2] == 'delivered' and ARGV[5] == '' then
      -- Delivered with no answer: the amount is on the server now, so it moves from
      -- pending into the base (never out of the count altogether).
      local m = redis.call('HGET', KEYS[3], 'm:' .. p[1])
      if m then
        local f = split(m)
        f[3] = tostring(tonumber(f[3]) + tonumber(p[2]))
        redis.call('HSET', KEYS[3], 'm:' .. p[1], table.concat(f, '|'))
      end
    end
  end
end
if ARGV[2] == 'delivered' and ARGV[5] ~= '' then
  if apply_usage(KEYS[3], ARGV[4], ARGV[5], tonumber(ARGV[6])) == 1 and ARGV[7] ~= '' then
    redis.call('PUBLISH', ARGV[7], ARGV[8])
  end
end
return result
"""
)

#: KEYS: state. ARGV: feature, usage, usage_ms, channel, message.
#: Makes a usage change the meter's base when newer; publishes it. Returns 1 if applied.
APPLY_USAGE = (
    _SPLIT
    + _APPLY
    + """
if apply_usage(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])) == 1 then
  if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
  return 1
end
return 0
"""
)
