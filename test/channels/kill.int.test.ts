// Kill -9 of a spawned Beacon between acknowledged publishes: a /ws client keeps publishes in
// flight, the server is SIGKILLed once a number of them were answered `published`, then
// restarted on the same DATA_DIR. Every acknowledged publication is still there, with its
// offset and data, offsets are gap-free, the epoch unchanged, and recovery from 0 hands them over.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { registerAndLogin, tempDir } from '../support/beacon.js';
import { ready, spawnBeacon } from '../support/process.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { isolatedEnv } from '../security/support.js';

const CHANNEL = 'log:kill';
/**
 * How many publishes each round keeps in flight, and acknowledgements before the kill. A round
 * sends at most target + IN_FLIGHT frames, under the 100 frames/s a connection may send.
 */
const IN_FLIGHT = 8;
const ROUNDS = [40, 67, 90];

test('acknowledged publications survive SIGKILL of the server and a restart, in order, gap-free, same epoch', { timeout: 120_000 }, async () => {
  const dir = tempDir('beacon-channel-kill-');
  const channelsFile = join(dir, 'channels.json');
  // Enough history for every publication of the test, so recovery from 0 must succeed.
  writeFileSync(channelsFile, JSON.stringify({ log: { subscribe: 'any', publish: 'any', presence: false, history_size: 1000, history_ttl_seconds: 3600 } }));
  const acked = new Map<number, string>();
  let epoch: string | undefined;
  let token: string | undefined;

  for (const [round, target] of ROUNDS.entries()) {
    const { env, base } = await isolatedEnv(dir, { CHANNELS_FILE: channelsFile });
    const p = spawnBeacon(env);
    await ready(p, 60_000);
    token ??= (await registerAndLogin(base, 'kill_publisher')).token;
    const c = await within(TestClient.open(wsUrl(base, token)), 10_000, 'open');

    // What survived the previous kill: everything acknowledged, in order, nothing missing.
    const back = await within(c.request('subscribe', { channel: CHANNEL, ...(epoch === undefined ? {} : { since: { offset: 0, epoch } }) }), 10_000, 'subscribe');
    assert.equal(back.event, 'subscribed', JSON.stringify(back));
    if (epoch !== undefined) {
      assert.equal(back.data.epoch, epoch, 'the epoch survives the kill');
      assert.equal(back.data.recovered, true);
      const offsets = back.data.publications.map((x: { offset: number }) => x.offset);
      assert.deepEqual(offsets, Array.from({ length: back.data.offset }, (_, i) => i + 1), 'gap-free from 1');
      for (const [offset, data] of acked) assert.equal(back.data.publications[offset - 1]?.data, data, `acknowledged #${offset} kept`);
    }
    epoch = back.data.epoch as string;

    // Publish with IN_FLIGHT outstanding until `target` more are acknowledged, then kill.
    let answered = 0;
    let sent = 0;
    const killed = new Promise<void>((resolve) => {
      const pump = (): void => {
        while (sent - answered < IN_FLIGHT) {
          const data = `r${round}-${sent++}`;
          c.request('publish', { channel: CHANNEL, data }).then((reply) => {
            if (reply.event !== 'published') return;
            acked.set(reply.data.offset as number, data);
            answered++;
            if (answered === target) resolve();
            else if (answered < target) pump();
          });
        }
      };
      pump();
    });
    await within(killed, 30_000, `${target} acknowledgements`);
    p.child.kill('SIGKILL');
    assert.equal(await p.exited, 'SIGKILL');
    c.terminate();
  }

  const { env, base } = await isolatedEnv(dir, { CHANNELS_FILE: channelsFile });
  const p = spawnBeacon(env);
  await ready(p, 60_000);
  const c = await within(TestClient.open(wsUrl(base, token)), 10_000, 'open');
  const last = await within(c.request('history', { channel: CHANNEL }), 10_000, 'history');
  assert.equal(last.event, 'response', 'history needs a subscription');
  const sub = await within(c.request('subscribe', { channel: CHANNEL, since: { offset: 0, epoch } }), 10_000, 'subscribe');
  assert.equal(sub.data.recovered, true);
  assert.ok(sub.data.offset >= Math.max(...acked.keys()));
  for (const [offset, data] of acked) assert.equal(sub.data.publications[offset - 1]?.data, data);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});
