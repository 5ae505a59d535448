// The client's event map is the server's: these checks fail to compile (npm run typecheck)
// when a server builder's shape drifts from src/protocol, and fail at run time when the
// map names a request the server's frame parser does not know.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { echoOf, pongOf } from '../../src/actors/connectionSetup.js';
import { CLIENT_EVENT_NAMES } from '../../src/actors/frames.js';
import type { Replies, ServerEvents } from '../../src/protocol/index.js';

/** Compiles only when U is assignable to T. */
type Assignable<T, U extends T> = U;
export type Checks = [
  Assignable<ServerEvents['pong_manual'], ReturnType<typeof pongOf>>,
  Assignable<ServerEvents['message'], ReturnType<typeof echoOf>>,
];

/** Every request the map pairs with a reply, spelled out at run time. */
const REPLIES = {
  register_user: 'response',
  message: 'message',
  ping_manual: 'pong_manual',
  debug_connection: 'debug_connection',
  get_online_users: 'online_users',
  check_connections: 'connections_checked',
  subscribe: 'subscribed',
  unsubscribe: 'unsubscribed',
  publish: 'published',
  channel_presence: 'channel_presence',
  history: 'history',
} as const satisfies Replies;

test('every request of the event map is one the server parses', () => {
  const known = new Set<string>(CLIENT_EVENT_NAMES);
  const unknown = Object.keys(REPLIES).filter((name) => !known.has(name));
  assert.deepEqual(unknown, []);
});
