// Clients of a test cluster: users registered on one node and logged in on another, /ws
// sockets authenticated at upgrade on a chosen node, and bounded waits on their frames.

import assert from 'node:assert/strict';
import { call } from './beacon.js';
import type { ClusterNode } from './cluster.js';
import { TestClient, within, wsUrl, type Frame } from './wsClient.js';

export const PASSWORD = 'correct horse battery';
export const WAIT_MS = 10_000;

export interface User {
  name: string;
  userId: number;
  token: string;
}

export async function register(node: ClusterNode, name: string): Promise<number> {
  const reg = await call('POST', `${node.http}/register`, { body: { username: name, password: PASSWORD } });
  assert.equal(reg.status, 201, `register ${name} on ${node.id}: ${reg.status} ${reg.text}`);
  return reg.json.user.user_id as number;
}

export async function login(node: ClusterNode, name: string): Promise<string> {
  const res = await call('POST', `${node.http}/login-token`, { body: { username: name, password: PASSWORD } });
  assert.equal(res.status, 200, `login ${name} on ${node.id}: ${res.status} ${res.text}`);
  return res.json.token as string;
}

/** Registers on `registerOn` and logs in on `loginOn` (the same node unless told). */
export async function user(registerOn: ClusterNode, name: string, loginOn: ClusterNode = registerOn): Promise<User> {
  const userId = await register(registerOn, name);
  return { name, userId, token: await login(loginOn, name) };
}

/**
 * A /ws socket on `node`, authenticated with register_user; resolves once it is. Not with the
 * token at upgrade: uWS occasionally drops a socket right after an asynchronous upgrade
 * (SECURITY.md, "Known limits"), and these tests open hundreds, so a drop would read as a
 * 1006 where the test waits for a revocation's close code.
 */
export async function connect(node: ClusterNode, token: string): Promise<TestClient> {
  const client = await within(TestClient.open(wsUrl(node.http)), WAIT_MS, `open /ws on ${node.id}`);
  await within(client.next('connect'), WAIT_MS, `connect frame on ${node.id}`);
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { username: string };
  const answer = await within(client.register(token, claims.username), WAIT_MS, `register_user on ${node.id}`);
  if (answer.data?.ok !== true) throw new Error(`register_user on ${node.id} refused: ${JSON.stringify(answer.data)}`);
  return client;
}

/** A request's direct reply, bounded. */
export function ask(client: TestClient, event: string, data?: unknown): Promise<Frame> {
  return within(client.request(event, data), WAIT_MS, `${event} ${JSON.stringify(data ?? null).slice(0, 80)} reply`);
}

/** The next `user_status` of `username` with `status` this client gets. */
export function status(client: TestClient, username: string, wanted: 'online' | 'offline', ms = WAIT_MS): Promise<Frame> {
  return within(client.next('user_status', (d) => d.username === username && d.status === wanted), ms, `user_status ${username} ${wanted}`);
}

/** Every `user_status` this client got for `username`, as the list of statuses. */
export function statusesOf(client: TestClient, username: string): string[] {
  return client.frames.filter((f) => f.event === 'user_status' && f.data.username === username).map((f) => f.data.status as string);
}

/** The online users a client's node reports, as "name:connections". */
export async function online(client: TestClient): Promise<{ users: string[]; count: number }> {
  const reply = await ask(client, 'get_online_users');
  assert.equal(reply.event, 'online_users', JSON.stringify(reply));
  const users = (reply.data.users as Array<{ username: string; connections: number }>).map((u) => `${u.username}:${u.connections}`).sort();
  return { users, count: reply.data.count as number };
}

export async function subscribed(client: TestClient, channel: string, since?: { offset: number; epoch: string }): Promise<any> {
  const reply = await ask(client, 'subscribe', since === undefined ? { channel } : { channel, since });
  assert.equal(reply.event, 'subscribed', JSON.stringify(reply));
  return reply.data;
}

export async function published(client: TestClient, channel: string, data: unknown): Promise<number> {
  const reply = await ask(client, 'publish', { channel, data });
  assert.equal(reply.event, 'published', JSON.stringify(reply));
  return reply.data.offset as number;
}

/** The refusal `response` a request got, asserting its code. */
export async function refused(client: TestClient, event: string, data: unknown, code: string): Promise<Frame> {
  const reply = await ask(client, event, data);
  assert.equal(reply.event, 'response', JSON.stringify(reply));
  assert.equal(reply.data.ok, false, JSON.stringify(reply));
  assert.equal(reply.data.code, code, JSON.stringify(reply));
  return reply;
}

/** The publications of `channel` a client got as pushes, as their offsets. */
export function pushedOffsets(client: TestClient, channel: string): number[] {
  return client.frames.filter((f) => f.event === 'publication' && f.data.channel === channel).map((f) => f.data.offset as number);
}

/** Resolves once `client` has `n` publication pushes of `channel`. */
export function publications(client: TestClient, channel: string, n: number, ms = WAIT_MS): Promise<Frame> {
  let seen = 0;
  return within(
    client.waitFor((f) => f.event === 'publication' && f.data.channel === channel && ++seen === n) ,
    ms,
    `${n} publications of ${channel}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (got ${pushedOffsets(client, channel).length})`);
  });
}
