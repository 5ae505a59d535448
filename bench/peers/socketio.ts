// The Socket.IO v4 peer: the same events as Beacon's /ws on Socket.IO's default engine (node
// http + ws), websocket transport only. register_user verifies an HS256 JWT with jose and
// joins one room; echo, ping, room broadcast, and presence broadcasts coalesced over Beacon's
// window (25 ms, longer for a large audience); channels as Socket.IO rooms (`subscribe` joins, `publish` emits to the
// room, offsets counted in memory). No persistence, no history, no per-connection actor, no log.
// With BENCH_REDIS_URL it is one node of a cluster on @socket.io/redis-adapter (ioredis).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { Server } from 'socket.io';
import { announceReady, installMemoryProbe, stopOnSignals } from './common.js';
import { PRESENCE_WINDOW_MS, presenceWindowMs } from '../../src/actors/presenceFeed.js';

const ROOM = 'authenticated';
const key = new TextEncoder().encode(process.env.BENCH_JWT_SECRET ?? '');
if (key.byteLength < 32) throw new Error('socketio peer: BENCH_JWT_SECRET must be at least 32 bytes');

interface User {
  username: string;
  userId: number;
}

const http = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"ok"}');
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });
// Cluster mode as Socket.IO documents it: a publishing and a subscribing Redis connection.
const redisUrl = process.env.BENCH_REDIS_URL;
const redis = redisUrl === undefined ? [] : [new Redis(redisUrl), new Redis(redisUrl)];
if (redis[0] !== undefined && redis[1] !== undefined) io.adapter(createAdapter(redis[0], redis[1]));

// Presence: connections per user; changes announced once per window.
/** Offsets per channel, so publications carry the shape Beacon's do; nothing is kept. */
const offsets = new Map<string, number>();
const EPOCH = 'memory';
type Ack = ((reply: unknown) => void) | undefined;
/** A direct reply: the acknowledgement when the client asked for one, else an event, as Beacon's Socket.IO endpoint answers. */
const reply = (socket: { emit(event: string, data: unknown): unknown }, ack: Ack, event: string, data: unknown): void => {
  if (typeof ack === 'function') ack(data);
  else socket.emit(event, data);
};

const online = new Map<number, { username: string; connections: number }>();
const touched = new Map<number, { wasOnline: boolean; username: string }>();
let presenceTimer: NodeJS.Timeout | undefined;
function touch(user: User, delta: number): void {
  if (!touched.has(user.userId)) touched.set(user.userId, { wasOnline: online.has(user.userId), username: user.username });
  const entry = online.get(user.userId) ?? { username: user.username, connections: 0 };
  entry.connections += delta;
  if (entry.connections > 0) online.set(user.userId, entry);
  else online.delete(user.userId);
  // Beacon's window: 25 ms, growing with the audience to keep user_count deliveries at its budget.
  presenceTimer ??= setTimeout(flushPresence, presenceWindowMs(PRESENCE_WINDOW_MS, io.of('/').sockets.size));
}
function flushPresence(): void {
  presenceTimer = undefined;
  for (const [userId, before] of touched) {
    const now = online.has(userId);
    if (now !== before.wasOnline) io.to(ROOM).emit('user_status', { username: before.username, user_id: userId, status: now ? 'online' : 'offline' });
  }
  touched.clear();
  let connections = 0;
  for (const u of online.values()) connections += u.connections;
  io.to(ROOM).emit('user_count', { count: online.size, connections });
}

io.on('connection', (socket) => {
  let user: User | undefined;
  const fail = (code: string, message: string): void => {
    socket.emit('response', { ok: false, code, message });
    socket.disconnect(true);
  };
  socket.on('register_user', async (data: { token?: unknown; username?: unknown } | undefined) => {
    if (user !== undefined || typeof data?.token !== 'string' || typeof data.username !== 'string') {
      return void socket.emit('response', { ok: false, code: 'invalid_message', message: 'Invalid data' });
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(data.token, key, { algorithms: ['HS256'], requiredClaims: ['sub', 'username', 'user_id', 'iat', 'exp', 'jti'] }));
    } catch {
      return fail('invalid_token', 'Invalid token!');
    }
    if (payload.username !== data.username || typeof payload.user_id !== 'number') return fail('username_mismatch', 'Token username mismatch!');
    user = { username: data.username, userId: payload.user_id };
    void socket.join(ROOM);
    touch(user, +1);
    socket.emit('response', { ok: true, code: 'registered', message: 'User registered', username: user.username, user_id: user.userId });
  });
  socket.on('ping_manual', (data: { t?: unknown } | undefined) => {
    socket.emit('pong_manual', { t: data?.t ?? null, server_time: Date.now() });
  });
  socket.on('message', (data: unknown) => {
    socket.emit('message', { from: user?.username ?? null, data: data ?? null });
  });
  socket.on('authenticated_message', (data: { text?: unknown; data?: unknown } | undefined) => {
    if (user === undefined) return void socket.emit('response', { ok: false, code: 'not_authenticated', message: 'Not authenticated' });
    io.to(ROOM).emit('authenticated_message', { from: user.username, data: data?.data ?? null, text: data?.text ?? null, ts: Date.now() });
  });
  socket.on('subscribe', (data: { channel?: unknown } | undefined, ack: Ack) => {
    if (user === undefined) return reply(socket, ack, 'response', { ok: false, code: 'not_authenticated', message: 'Not authenticated' });
    if (typeof data?.channel !== 'string') return reply(socket, ack, 'response', { ok: false, code: 'invalid_channel', message: 'Invalid channel' });
    void socket.join(data.channel);
    reply(socket, ack, 'subscribed', { channel: data.channel, epoch: EPOCH, offset: offsets.get(data.channel) ?? 0, recovered: false, publications: [], presence: null });
  });
  socket.on('publish', (data: { channel?: unknown; data?: unknown } | undefined, ack: Ack) => {
    if (user === undefined) return reply(socket, ack, 'response', { ok: false, code: 'not_authenticated', message: 'Not authenticated' });
    if (typeof data?.channel !== 'string') return reply(socket, ack, 'response', { ok: false, code: 'invalid_channel', message: 'Invalid channel' });
    const offset = (offsets.get(data.channel) ?? 0) + 1;
    offsets.set(data.channel, offset);
    reply(socket, ack, 'published', { channel: data.channel, offset });
    io.to(data.channel).emit('publication', { channel: data.channel, offset, epoch: EPOCH, from: { username: user.username, user_id: user.userId }, data: data.data ?? null, ts: Date.now() });
  });
  socket.on('get_online_users', () => {
    const users = [...online].map(([userId, u]) => ({ username: u.username, user_id: userId, connections: u.connections }));
    socket.emit('online_users', { users, count: users.length });
  });
  socket.on('disconnect', () => {
    if (user !== undefined) touch(user, -1);
  });
});

http.listen(0, '127.0.0.1', () => {
  installMemoryProbe();
  stopOnSignals(() => new Promise<void>((resolve) => void io.close(() => resolve())).then(() => void redis.forEach((r) => r.disconnect())));
  announceReady({ http: (http.address() as AddressInfo).port });
});
