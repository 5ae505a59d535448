// Helpers for the channel tests: an authenticated /ws client per user, membership grants
// and removals appended through the test server's own event log (the admin routes that
// append them belong to the admin API), and a way to be sure nothing more arrived.

import assert from 'node:assert/strict';
import type { TestBeacon } from '../support/beacon.js';
import { registerAndLogin } from '../support/beacon.js';
import { TestClient, within, wsUrl, type Frame } from '../support/wsClient.js';

export const WAIT_MS = 15_000;

export interface User {
  name: string;
  token: string;
  userId: number;
}

export async function user(t: TestBeacon, name: string): Promise<User> {
  const { token, userId } = await registerAndLogin(t.http, name);
  return { name, token, userId };
}

/** A /ws connection authenticated at upgrade. */
export async function connect(t: TestBeacon, u: User): Promise<TestClient> {
  const client = await TestClient.open(wsUrl(t.http, u.token));
  await within(client.next('connect'), WAIT_MS, 'connect');
  return client;
}

/** A request's direct reply, bounded. */
export function ask(client: TestClient, event: string, data?: unknown): Promise<Frame> {
  return within(client.request(event, data), WAIT_MS, `${event} reply`);
}

export async function subscribed(client: TestClient, channel: string, since?: { offset: number; epoch: string }): Promise<any> {
  const reply = await ask(client, 'subscribe', since === undefined ? { channel } : { channel, since });
  assert.equal(reply.event, 'subscribed', JSON.stringify(reply));
  return reply.data;
}

export async function published(client: TestClient, channel: string, data: unknown): Promise<number> {
  const reply = await ask(client, 'publish', { channel, data });
  assert.equal(reply.event, 'published', JSON.stringify(reply));
  assert.equal(reply.data.channel, channel);
  return reply.data.offset as number;
}

/** The refusal `response` a request got, asserting its code. */
export async function refused(client: TestClient, event: string, data: unknown, code: string): Promise<Frame> {
  const reply = await ask(client, event, data);
  assert.equal(reply.event, 'response', JSON.stringify(reply));
  assert.equal(reply.data.ok, false);
  assert.equal(reply.data.code, code, JSON.stringify(reply));
  assert.equal(typeof reply.data.message, 'string');
  return reply;
}

/**
 * Frames a client got up to now, after a round trip: whatever the server wrote to it before
 * answering this ping is in. (Fan-out is written before the publisher's `published` arrives.)
 */
export async function settled(client: TestClient): Promise<Frame[]> {
  await ask(client, 'ping_manual');
  return [...client.frames];
}

export const grant = (t: TestBeacon, channel: string, u: User) =>
  t.beacon.store.append([{ type: 'ChannelMemberAdded', data: { channel, userId: u.userId, username: u.name, by: null } }]);
export const revoke = (t: TestBeacon, channel: string, u: User) =>
  t.beacon.store.append([{ type: 'ChannelMemberRemoved', data: { channel, userId: u.userId, username: u.name, by: null } }]);

export const of = (frames: readonly Frame[], event: string, channel?: string): Frame[] =>
  frames.filter((f) => f.event === event && (channel === undefined || f.data?.channel === channel));
