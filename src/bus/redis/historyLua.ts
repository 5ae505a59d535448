// The channel history scripts. A channel is a stream (entries keyed by offset) and a meta
// hash (epoch, last offset, last ts). The offset is taken and the entry added in one
// script, so offsets have no gaps and no repeats across nodes; a missing meta means the
// history was lost (expired, flushed, a new Redis), so a new epoch starts and no client
// that remembers the old one is told it recovered.

import { defineScript } from './connection.js';

const HELPERS = `
local function int(x) return string.format('%d', x) end
-- The channel's head, starting a new epoch (and dropping any stream left without its meta)
-- when the meta is missing.
local function head(stream, meta, new_epoch, meta_ttl)
  local m = redis.call('HMGET', meta, 'e', 'o')
  if m[1] == false then
    redis.call('DEL', stream)
    redis.call('HSET', meta, 'e', new_epoch, 'o', '0')
    redis.call('PEXPIRE', meta, meta_ttl)
    return new_epoch, 0
  end
  return m[1], tonumber(m[2] or '0')
end
`;

/**
 * KEYS: stream, meta. ARGV: new epoch, now ms, size, ttl ms, meta ttl ms, data JSON,
 * from JSON, pub/sub channel to publish the publication on ('' for none), channel JSON,
 * event JSON. Returns {offset, epoch, ts}.
 */
export const historyAppend = defineScript(`${HELPERS}
local size, ttl, meta_ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local epoch = head(KEYS[1], KEYS[2], ARGV[1], meta_ttl)
local offset = redis.call('HINCRBY', KEYS[2], 'o', 1)
-- A clock stepped back (or a node behind another) must not make a publication look older.
local ts = math.max(tonumber(ARGV[2]), tonumber(redis.call('HGET', KEYS[2], 't') or '0'))
redis.call('HSET', KEYS[2], 't', int(ts))
if size > 0 and ttl > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', size, int(offset) .. '-0', 'd', ARGV[6], 'f', ARGV[7], 't', int(ts), 'x', int(ts + ttl))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
redis.call('PEXPIRE', KEYS[2], math.max(ttl, meta_ttl))
if ARGV[8] ~= '' then
  redis.call('PUBLISH', ARGV[8], '{"e":' .. ARGV[10] .. ',"d":{"channel":' .. ARGV[9] .. ',"offset":' .. int(offset) ..
    ',"epoch":' .. cjson.encode(epoch) .. ',"from":' .. ARGV[7] .. ',"data":' .. ARGV[6] .. ',"ts":' .. int(ts) .. '}}')
end
return {offset, epoch, int(ts)}
`);

/**
 * The head and, in one atomic read, the entries asked for. KEYS: stream, meta.
 * ARGV: new epoch, meta ttl ms, mode, a, b.
 *   'head': no entries.
 *   'since': a = epoch, b = offset, ARGV[6] = limit: the entries after b when a is the
 *            epoch and at most limit of them are due (else none).
 *   'last': a = count: the last entries, newest first.
 *   'after': a = offset, b = count: the first entries after a.
 * Returns {offset, epoch, entries}.
 */
export const historyRead = defineScript(`${HELPERS}
local epoch, top = head(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]))
local mode = ARGV[3]
local entries = {}
if mode == 'since' then
  local since, limit = tonumber(ARGV[5]), tonumber(ARGV[6])
  if ARGV[4] == epoch and since >= 0 and since < top and top - since <= limit then
    entries = redis.call('XRANGE', KEYS[1], int(since + 1) .. '-0', '+', 'COUNT', top - since)
  end
elseif mode == 'last' then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[4])
elseif mode == 'after' then
  entries = redis.call('XRANGE', KEYS[1], int(tonumber(ARGV[4]) + 1) .. '-0', '+', 'COUNT', ARGV[5])
end
return {top, epoch, entries}
`);
