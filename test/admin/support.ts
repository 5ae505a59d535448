// Helpers for the admin API's integration tests: a real Beacon with an admin key, calls
// with X-API-Key, and users connected over /ws and Socket.IO.

import assert from 'node:assert/strict';
import { call, registerAndLogin, startTestBeacon, type Response, type TestBeacon } from '../support/beacon.js';
import { TestClient, wsUrl } from '../support/wsClient.js';
import { SioClient } from '../migration/clients.js';

export const ADMIN_KEY = 'admin-api-key-for-integration-tests-0123456789';

export function startAdminBeacon(env: Record<string, string> = {}): Promise<TestBeacon> {
  return startTestBeacon({ env: { ADMIN_API_KEY: ADMIN_KEY, ...env } });
}

export function admin(method: string, url: string, options: { body?: unknown; key?: string | null; raw?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? ADMIN_KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  return call(method, url, { headers, ...(options.body === undefined ? {} : { body: options.body }), ...(options.raw === undefined ? {} : { raw: options.raw }) });
}

export async function wsUser(base: string, name: string): Promise<{ client: TestClient; token: string; userId: number }> {
  const { token, userId } = await registerAndLogin(base, name);
  const client = await TestClient.open(wsUrl(base));
  const reply = await client.register(token, name);
  assert.equal(reply.data.ok, true, JSON.stringify(reply));
  return { client, token, userId };
}

export async function sioUser(base: string, name: string, token: string): Promise<SioClient> {
  const sio = await SioClient.connect(base, { transports: ['websocket'] });
  const ack = await sio.call('register_user', { token, username: name });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return sio;
}
