// A server started with CHANNELS_FILE: its namespaces replace the built-in ones, and their
// rules hold on the wire: `admin`-only publishing (the server publishes, from null), a
// namespace keeping no history (offsets still numbered), `members` with `any` publishing.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestBeacon, tempDir, type TestBeacon } from '../support/beacon.js';
import { within } from '../support/wsClient.js';
import { WAIT_MS, ask, connect, grant, published, refused, subscribed, user } from './support.js';

let t: TestBeacon;
before(async () => {
  const dir = tempDir();
  const file = join(dir, 'channels.json');
  writeFileSync(
    file,
    JSON.stringify({
      news: { subscribe: 'any', publish: 'admin', presence: false, history_size: 10, history_ttl_seconds: 60 },
      live: { subscribe: 'any', publish: 'any', presence: true, history_size: 0, history_ttl_seconds: 0 },
      team: { subscribe: 'members', publish: 'any', presence: true, history_size: 5, history_ttl_seconds: 60 },
    }),
  );
  t = await startTestBeacon({ dir, env: { CHANNELS_FILE: file } });
});
after(async () => {
  await t.stop();
});

test('CHANNELS_FILE replaces the built-in namespaces and its rules hold', async () => {
  const u = await user(t, 'file_user');
  const c = await connect(t, u);
  // The built-in ones are gone.
  await refused(c, 'subscribe', { channel: 'room:x' }, 'invalid_channel');

  // news: anyone subscribes, only the server publishes; its publication says from null.
  await subscribed(c, 'news:today');
  await refused(c, 'publish', { channel: 'news:today', data: 'me?' }, 'permission_denied');
  assert.deepEqual(await t.beacon.channels.publish('news:today', { headline: 'hi' }, null), { channel: 'news:today', offset: 1 });
  const p = (await within(c.next('publication'), WAIT_MS, 'server publication')).data;
  assert.deepEqual([p.offset, p.from, p.data], [1, null, { headline: 'hi' }]);
  await assert.rejects(t.beacon.channels.publish('nowhere:x', 1, null), { code: 'invalid_channel' });

  // live: nothing kept, offsets still numbered; a `since` behind the head cannot be recovered.
  const live = await subscribed(c, 'live:feed');
  assert.equal(await published(c, 'live:feed', 1), 1);
  assert.equal(await published(c, 'live:feed', 2), 2);
  const h = await ask(c, 'history', { channel: 'live:feed' });
  assert.deepEqual([h.data.offset, h.data.publications], [2, []]);
  const lost = await subscribed(c, 'live:feed', { offset: 0, epoch: live.epoch });
  assert.deepEqual([lost.recovered, lost.offset], [false, 2]);
  const atHead = await subscribed(c, 'live:feed', { offset: 2, epoch: live.epoch });
  assert.deepEqual([atHead.recovered, atHead.publications], [true, []]);

  // team: members subscribe; anyone may publish to it.
  const outsider = await connect(t, await user(t, 'file_outsider'));
  await refused(c, 'subscribe', { channel: 'team:core' }, 'permission_denied');
  await grant(t, 'team:core', u);
  await subscribed(c, 'team:core');
  assert.equal(await published(outsider, 'team:core', 'from outside'), 1);
  assert.equal((await within(c.next('publication', (d) => d.channel === 'team:core'), WAIT_MS, 'team publication')).data.data, 'from outside');
  await Promise.all([c.close(), outsider.close()]);
});
