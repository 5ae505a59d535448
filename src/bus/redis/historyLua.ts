// The channel history scripts. A channel is a stream (entries keyed by offset) and a meta
// hash (epoch, last offset, last ts). The offset is taken and the entry added in one
// script, so offsets have no gaps and no repeats across nodes; a missing meta means the
// history was lost (expired, flushed, a new Redis), so a new epoch starts and no client
// that remembers the old one is told it recovered.

import { defineScript } from './connection.js';

/**
 * A channel without a meta has a derived epoch: a hash of the store's secret, the channel
 * and the current meta-TTL period (Redis time). Reading a head therefore writes nothing (a
 * client asking for many channel names cannot fill Redis), and the epoch still changes
 * whenever history was lost: a flush loses the secret, and an expired meta lived at least
 * one whole period past its first append, so the next derivation is a later period's.
 */
const HELPERS = `
local function int(x) return string.format('%d', x) end
local function derived_epoch(secret_key, new_secret, channel, period_ms)
  local secret = redis.call('GET', secret_key)
  if secret == false then
    redis.call('SET', secret_key, new_secret)
    secret = new_secret
  end
  local t = redis.call('TIME')
  local period = math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / period_ms)
  return string.sub(redis.sha1hex(secret .. '\0' .. channel .. '\0' .. int(period)), 1, 12)
end
-- The channel's head: epoch, offset, and whether its meta exists.
local function head(meta, secret_key, new_secret, channel, period_ms)
  local m = redis.call('HMGET', meta, 'e', 'o')
  if m[1] == false then return derived_epoch(secret_key, new_secret, channel, period_ms), 0, false end
  return m[1], tonumber(m[2] or '0'), true
end
`;

/**
 * KEYS: stream, meta, store secret. ARGV: new secret, channel, meta ttl ms, now ms, size,
 * ttl ms, data JSON, from JSON, pub/sub channel to publish the publication on ('' for
 * none), channel JSON, event JSON. Returns {offset, epoch, ts}.
 */
export const historyAppend = defineScript(`${HELPERS}
local meta_ttl, size, ttl = tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[6])
local epoch, _, exists = head(KEYS[2], KEYS[3], ARGV[1], ARGV[2], meta_ttl)
if not exists then
  -- A stream left without its meta belongs to a lost epoch.
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 'o', 1)
-- A clock stepped back (or a node behind another) must not make a publication look older.
local ts = math.max(tonumber(ARGV[4]), tonumber(redis.call('HGET', KEYS[2], 't') or '0'))
redis.call('HSET', KEYS[2], 't', int(ts))
if size > 0 and ttl > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', size, int(offset) .. '-0', 'd', ARGV[7], 'f', ARGV[8], 't', int(ts), 'x', int(ts + ttl))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
redis.call('PEXPIRE', KEYS[2], math.max(ttl, meta_ttl))
if ARGV[9] ~= '' then
  redis.call('PUBLISH', ARGV[9], '{"e":' .. ARGV[11] .. ',"d":{"channel":' .. ARGV[10] .. ',"offset":' .. int(offset) ..
    ',"epoch":' .. cjson.encode(epoch) .. ',"from":' .. ARGV[8] .. ',"data":' .. ARGV[7] .. ',"ts":' .. int(ts) .. '}}')
end
return {offset, epoch, int(ts)}
`);

/**
 * The head and, in one atomic read, the entries asked for; writes nothing but the store
 * secret when it is missing. KEYS: stream, meta, store secret.
 * ARGV: new secret, channel, meta ttl ms, mode, a, b, c.
 *   'head': no entries.
 *   'since': a = epoch, b = offset, c = limit: the entries after b when a is the epoch and
 *            at most c of them are due (else none).
 *   'last': a = count: the last entries, newest first.
 *   'after': a = offset, b = count: the first entries after a.
 * Returns {offset, epoch, entries}.
 */
export const historyRead = defineScript(`${HELPERS}
local epoch, top, exists = head(KEYS[2], KEYS[3], ARGV[1], ARGV[2], tonumber(ARGV[3]))
local mode = ARGV[4]
local entries = {}
if not exists then
  -- Nothing kept: a stream without its meta is a lost epoch's.
elseif mode == 'since' then
  local since, limit = tonumber(ARGV[6]), tonumber(ARGV[7])
  if ARGV[5] == epoch and since >= 0 and since < top and top - since <= limit then
    entries = redis.call('XRANGE', KEYS[1], int(since + 1) .. '-0', '+', 'COUNT', top - since)
  end
elseif mode == 'last' then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[5])
elseif mode == 'after' then
  entries = redis.call('XRANGE', KEYS[1], int(tonumber(ARGV[5]) + 1) .. '-0', '+', 'COUNT', ARGV[6])
end
return {top, epoch, entries}
`);
