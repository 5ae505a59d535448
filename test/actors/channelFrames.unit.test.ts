// The channel requests' frames: subscribe (with since), unsubscribe, publish, channel_presence
// and history parse into machine events; wrong shapes are invalid messages (a bad channel
// name is not: the router answers it `invalid_channel`).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHANNEL_EVENT_NAMES, CLIENT_EVENT_NAMES, parseClientFrame } from '../../src/actors/frames.js';

const parse = (event: string, data: unknown, id?: number) => parseClientFrame(id === undefined ? { event, data } : { event, data, id });

describe('channel frames', () => {
  test('every channel event is a client event', () => {
    for (const name of CHANNEL_EVENT_NAMES) assert.ok(CLIENT_EVENT_NAMES.includes(name), name);
  });

  test('valid data parses as is, with the request id', () => {
    const cases: Array<[string, unknown]> = [
      ['subscribe', { channel: 'room:a' }],
      ['subscribe', { channel: 'room:a', since: { offset: 0, epoch: 'e' } }],
      ['unsubscribe', { channel: 'room:a' }],
      ['publish', { channel: 'room:a', data: { any: ['json', 1, null] } }],
      ['publish', { channel: 'room:a' }],
      ['channel_presence', { channel: 'room:a' }],
      ['history', { channel: 'room:a', limit: 1 }],
      ['history', { channel: 'room:a', limit: 100, since: { offset: 3, epoch: 'e' } }],
    ];
    for (const [event, data] of cases) {
      const r = parse(event, data, 4);
      assert.ok(r.ok, `${event} ${JSON.stringify(data)}: ${r.ok ? '' : r.message}`);
      assert.deepEqual(r.frame, { type: event, data, id: 4 });
    }
  });

  test('since: null and limit: null (a client sending None) mean absent', () => {
    const sub = parse('subscribe', { channel: 'room:a', since: null });
    assert.ok(sub.ok);
    assert.equal(sub.ok && sub.frame.type === 'subscribe' ? sub.frame.data.since : 'x', undefined);
    const hist = parse('history', { channel: 'room:a', since: null, limit: null });
    assert.ok(hist.ok);
    if (hist.ok && hist.frame.type === 'history') assert.deepEqual([hist.frame.data.since, hist.frame.data.limit], [undefined, undefined]);
  });

  test('a name the namespaces refuse still parses: its answer is invalid_channel, not invalid_message', () => {
    for (const channel of ['nocolon', 'nowhere:x', '', `room:${'a'.repeat(500)}`]) assert.equal(parse('subscribe', { channel }).ok, true);
  });

  test('wrong shapes are invalid messages naming the field', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['subscribe', undefined, /data/],
      ['subscribe', { channel: 1 }, /channel/],
      ['subscribe', { channel: 'room:a', since: { offset: -1, epoch: 'e' } }, /since\.offset/],
      ['subscribe', { channel: 'room:a', since: { offset: 1.5, epoch: 'e' } }, /since\.offset/],
      ['subscribe', { channel: 'room:a', since: { offset: 1 } }, /since\.epoch/],
      ['subscribe', { channel: 'room:a', since: { offset: 1, epoch: 'e', x: 1 } }, /since/],
      ['subscribe', { channel: 'room:a', extra: true }, /extra|Unrecognized/i],
      ['unsubscribe', {}, /channel/],
      ['history', { channel: 'room:a', limit: 0 }, /limit/],
      ['history', { channel: 'room:a', limit: 101 }, /limit/],
      ['channel_presence', 'room:a', /data/],
    ];
    for (const [event, data, message] of cases) {
      const r = parse(event, data, 9);
      assert.equal(r.ok, false, `${event} ${JSON.stringify(data)}`);
      if (r.ok) continue;
      assert.match(r.message, message);
      assert.equal(r.id, 9, 'the id is kept so the refusal answers it');
    }
  });
});
