// The presence scripts. Each runs alone, so the per-node hash, the cluster-wide count per
// user, the ordering counter and the published changes move together and every transition
// is published exactly once, however many nodes act at the same time.
// Deadlines use Redis's clock (TIME), so nodes with skewed clocks still agree who is dead.

import { REDIS_PRESENCE_CHANGES_PER_MESSAGE } from '../../constants.js';
import { defineScript } from './connection.js';

/**
 * Shared helpers. Changes are published in order, grouped per script and node:
 * `{"s": seq, "n": node, "c": [[t, change], ...]}` where t is 1 when the change took the
 * user from 0 to 1 connections or from 1 to 0, cluster-wide, and change is a
 * ConnectionAuthenticated or ConnectionClosed event. One message per script (at most
 * REDIS_PRESENCE_CHANGES_PER_MESSAGE changes each) keeps a storm of connections from costing a message apiece.
 */
const HELPERS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(x) return string.format('%d', x) end
local pending, pending_node = {}, nil
local function flush(channel, seqkey)
  if #pending == 0 then return end
  local seq = redis.call('INCR', seqkey)
  redis.call('PUBLISH', channel, '{"s":' .. seq .. ',"n":' .. cjson.encode(pending_node) .. ',"c":[' .. table.concat(pending, ',') .. ']}')
  pending = {}
end
local function announce(channel, seqkey, node, t, event)
  if pending_node ~= node then
    flush(channel, seqkey)
    pending_node = node
  end
  pending[#pending + 1] = '[' .. t .. ',' .. event .. ']'
  if #pending >= ${REDIS_PRESENCE_CHANGES_PER_MESSAGE} then flush(channel, seqkey) end
end
local function counted_up(channel, counts, seqkey, node, uid, data)
  local t = 0
  if redis.call('HINCRBY', counts, uid, 1) == 1 then t = 1 end
  announce(channel, seqkey, node, t, '{"type":"ConnectionAuthenticated","data":' .. data .. '}')
  return t
end
-- data is the stored ConnectionAuthenticated data; the caller has removed the sid already.
-- A value that does not decode was never counted by these scripts: dropped, not fatal, or
-- one bad entry would stop every later reap.
local function counted_down(channel, counts, seqkey, node, sid, data, code, reason)
  local ok, stored = pcall(cjson.decode, data)
  if not ok or type(stored) ~= 'table' or type(stored.userId) ~= 'number' then return 0 end
  local uid = int(stored.userId)
  local t = 0
  if redis.call('HINCRBY', counts, uid, -1) <= 0 then
    redis.call('HDEL', counts, uid)
    t = 1
  end
  local closed = {type = 'ConnectionClosed', data = {sid = sid, userId = tonumber(uid), code = tonumber(code), reason = reason}}
  announce(channel, seqkey, node, t, cjson.encode(closed))
  return t
end
`;

/**
 * This node's connections that came up or went down, in order. KEYS: nodes, node hash,
 * counts, seq. ARGV: node, channel, then per change 'u', sid, userId, data JSON (up) or
 * 'd', sid, code, reason (down).
 * Returns -1 when the node is not registered (it must sync; nothing was applied), else per
 * change -1 (no change: the sid was already counted / not counted), 0 (counted / removed)
 * or 1 (and the user came online / went offline cluster-wide).
 */
export const presenceApply = defineScript(`${HELPERS}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return -1 end
local results = {}
for i = 3, #ARGV, 4 do
  local sid, r = ARGV[i + 1], -1
  if ARGV[i] == 'u' then
    if redis.call('HSETNX', KEYS[2], sid, ARGV[i + 3]) == 1 then
      r = counted_up(ARGV[2], KEYS[3], KEYS[4], ARGV[1], ARGV[i + 2], ARGV[i + 3])
    end
  else
    local data = redis.call('HGET', KEYS[2], sid)
    if data ~= false then
      redis.call('HDEL', KEYS[2], sid)
      r = counted_down(ARGV[2], KEYS[3], KEYS[4], ARGV[1], sid, data, ARGV[i + 2], ARGV[i + 3])
    end
  end
  results[#results + 1] = r
end
flush(ARGV[2], KEYS[4])
return results
`);

/**
 * Registers the node with its whole set of connections (start, after Redis came back, or
 * after being reaped): renews the deadline, removes counted sids it no longer has and
 * counts the ones missing. KEYS: nodes, node hash, counts, seq.
 * ARGV: node, deadline ms, channel, code, reason, then sid, userId, data JSON per connection.
 */
export const presenceSync = defineScript(`${HELPERS}
redis.call('ZADD', KEYS[1], int(now_ms() + tonumber(ARGV[2])), ARGV[1])
local want = {}
for i = 6, #ARGV, 3 do want[ARGV[i]] = true end
local have = redis.call('HGETALL', KEYS[2])
for i = 1, #have, 2 do
  if not want[have[i]] then
    redis.call('HDEL', KEYS[2], have[i])
    counted_down(ARGV[3], KEYS[3], KEYS[4], ARGV[1], have[i], have[i + 1], ARGV[4], ARGV[5])
  end
end
for i = 6, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 2]) == 1 then
    counted_up(ARGV[3], KEYS[3], KEYS[4], ARGV[1], ARGV[i + 1], ARGV[i + 2])
  end
end
flush(ARGV[3], KEYS[4])
return 1
`);

/**
 * The heartbeat: renews this node's deadline and, when asked to, reaps every node past its
 * own (their connections removed and counted down, each change published once: the script
 * runs alone, so a second reaper finds nothing left). Node hashes are addressed by prefix,
 * which is fine on one Redis (not a Redis Cluster). KEYS: nodes, counts, seq.
 * ARGV: node, deadline ms, reap (1/0), channel, code, reason, node hash prefix, and
 * optionally the prefix of the nodes' channel subscription hashes.
 * Returns -1 when this node is not registered (it must sync), else how many nodes it reaped.
 */
export const presenceHeartbeat = defineScript(`${HELPERS}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return -1 end
local now = now_ms()
redis.call('ZADD', KEYS[1], int(now + tonumber(ARGV[2])), ARGV[1])
if ARGV[3] ~= '1' then return 0 end
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. int(now))
for _, node in ipairs(dead) do
  local key = ARGV[7] .. node
  local have = redis.call('HGETALL', key)
  for i = 1, #have, 2 do
    counted_down(ARGV[4], KEYS[2], KEYS[3], node, have[i], have[i + 1], ARGV[5], ARGV[6])
  end
  redis.call('DEL', key)
  -- The dead node's channel subscriptions go with it (the others drop them with its connections).
  if ARGV[8] then redis.call('DEL', ARGV[8] .. node) end
  redis.call('ZREM', KEYS[1], node)
end
flush(ARGV[4], KEYS[3])
return #dead
`);

/**
 * A node leaving cleanly: every connection it still has counted down, then it is gone.
 * KEYS: nodes, node hash, counts, seq. ARGV: node, channel, code, reason.
 */
export const presenceLeave = defineScript(`${HELPERS}
local have = redis.call('HGETALL', KEYS[2])
for i = 1, #have, 2 do
  counted_down(ARGV[2], KEYS[3], KEYS[4], ARGV[1], have[i], have[i + 1], ARGV[3], ARGV[4])
end
flush(ARGV[2], KEYS[4])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return #have / 2
`);

/**
 * The cluster's presence at one instant: the seq of the last published change, then node
 * id and its HGETALL for every registered node. KEYS: nodes, seq. ARGV: node hash prefix.
 */
export const presenceSnapshot = defineScript(`
local out = {tonumber(redis.call('GET', KEYS[2]) or '0')}
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, node)
  table.insert(out, redis.call('HGETALL', ARGV[1] .. node))
end
return out
`);
