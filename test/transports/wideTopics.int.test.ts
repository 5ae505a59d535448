// A wide topic on a real uWS app with real WebSocket clients: every socket gets every frame,
// in publish order, whether the publish went out at once (small audience) or was sliced over
// turns of the loop (large audience); and sockets spread over the shards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { uws } from '../../src/http/uws.js';
import { createWideTopic, wideShardTopic, WIDE_TOPIC_SHARDS } from '../../src/transports/wideTopics.js';

const TOPIC = 'wide-test';

async function withApp(clients: number, run: (ctx: { app: ReturnType<typeof uws.App>; received: string[][] }) => Promise<void>): Promise<void> {
  const app = uws.App();
  let sids = 0;
  let joined = 0;
  let allJoined: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (allJoined = resolve));
  app.ws<{ sid: string }>('/*', {
    upgrade: (res, req, context) => res.upgrade({ sid: `s${++sids}` }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context),
    open: (ws) => {
      ws.subscribe(wideShardTopic(TOPIC, ws.getUserData().sid));
      if (++joined === clients) allJoined();
    },
  });
  let listening: unknown;
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (token) => {
      listening = token;
      return token ? resolve(uws.us_socket_local_port(token)) : reject(new Error('listen failed'));
    }),
  );
  const received: string[][] = [];
  const sockets = await Promise.all(
    Array.from({ length: clients }, (_, i) => {
      received.push([]);
      return new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        ws.on('message', (raw) => (received[i] as string[]).push(raw.toString()));
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    }),
  );
  try {
    await ready;
    await run({ app, received });
  } finally {
    for (const ws of sockets) ws.close();
    uws.us_listen_socket_close(listening as Parameters<typeof uws.us_listen_socket_close>[0]);
  }
}

const until = async (cond: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('a large audience is written over several turns; every socket gets every frame in order', async () => {
  await withApp(40, async ({ app, received }) => {
    const wide = createWideTopic(TOPIC, () => [app], { sliceSockets: 6 });
    const frames = Array.from({ length: 30 }, (_, i) => `f${i}`);
    for (const f of frames) wide.publish(f);
    assert.ok(wide.queued > 0, 'sliced: frames wait for later turns after publish returns');
    await until(() => received.every((r) => r.length === frames.length));
    for (const r of received) assert.deepEqual(r, frames);
    assert.equal(wide.queued, 0);
  });
});

test('a small audience is written at once, and a later large publish keeps the order', async () => {
  await withApp(5, async ({ app, received }) => {
    const wide = createWideTopic(TOPIC, () => [app], { sliceSockets: 5 });
    wide.publish('a');
    assert.equal(wide.queued, 0, 'five sockets fit one slice: nothing queued');
    const small = createWideTopic(TOPIC, () => [app], { sliceSockets: 2 });
    small.publish('b');
    small.publish('c');
    assert.ok(small.queued > 0);
    await until(() => received.every((r) => r.length === 3));
    for (const r of received) assert.deepEqual(r, ['a', 'b', 'c']);
  });
});

test('sids spread over the shards', () => {
  const used = new Set(Array.from({ length: 2_000 }, (_, i) => wideShardTopic(TOPIC, `sid-${i}`)));
  assert.equal(used.size, WIDE_TOPIC_SHARDS);
});
