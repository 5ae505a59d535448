// docs/protocol.md §5 with clients no one here wrote: socket.io-client v4 (long-polling with
// upgrade, and websocket only) and Debian's python3-socketio, each beside a /ws client on
// the same real server: registration, presence, messages both ways, acks, kicks, limits.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerAndLogin, startTestBeacon, type TestBeacon } from '../support/beacon.js';
import { TestClient, within, wsUrl } from '../support/wsClient.js';
import { ConnectRefused, PythonClient, SioClient, WAIT_MS, findPython } from './clients.js';

let t: TestBeacon;
before(async () => {
  t = await startTestBeacon();
});
after(async () => {
  await t.stop();
});

async function wsUser(name: string): Promise<{ client: TestClient; token: string; userId: number }> {
  const { token, userId } = await registerAndLogin(t.http, name);
  const client = await TestClient.open(wsUrl(t.http));
  const reply = await client.register(token, name);
  assert.equal(reply.data.ok, true, JSON.stringify(reply));
  return { client, token, userId };
}

const wait = <T>(p: Promise<T>, what: string): Promise<T> => within(p, WAIT_MS, what);

const TRANSPORTS = [
  { label: 'polling with upgrade (the default)', options: {} as { transports?: Array<'websocket'> }, tag: 'poll' },
  { label: 'websocket only', options: { transports: ['websocket' as const] }, tag: 'wsonly' },
];

for (const { label, options, tag } of TRANSPORTS) {
  describe(`socket.io-client v4, ${label}`, () => {
    test('registers, shares presence and messages with a /ws client, and is kicked by logout', async () => {
      const sioName = `sio_${tag}`;
      const wsName = `ws_${tag}`;
      const { token, userId } = await registerAndLogin(t.http, sioName);
      const sio = await wait(SioClient.connect(t.http, options), 'connect');

      const registered = await wait(sio.call('register_user', { token, username: sioName }), 'register ack');
      assert.deepEqual(registered, { ok: true, code: 'registered', message: 'User registered', username: sioName, user_id: userId });
      const ownStatus = await wait(sio.next('user_status', (d) => d.username === sioName), 'own presence');
      assert.deepEqual(ownStatus.data, { username: sioName, user_id: userId, status: 'online' });

      // Presence spans both protocols, in both directions.
      const ws = await wsUser(wsName);
      await wait(sio.next('user_status', (d) => d.username === wsName && d.status === 'online'), 'sio sees ws user');
      const online = await ws.client.request('get_online_users');
      assert.ok(online.data.users.some((u: { username: string }) => u.username === sioName), JSON.stringify(online.data));

      // authenticated_message both ways (broadcast and addressed).
      sio.emit('authenticated_message', { text: `hello from ${sioName}` });
      const atWs = await wait(ws.client.next('authenticated_message', (d) => d.from === sioName), 'ws receives');
      assert.equal(atWs.data.text, `hello from ${sioName}`);
      ws.client.send('authenticated_message', { text: 'hello back', to: sioName });
      const atSio = await wait(sio.next('authenticated_message', (d) => d.from === wsName), 'sio receives');
      assert.equal(atSio.data.text, 'hello back');
      assert.equal(typeof atSio.data.ts, 'number');
      // A request the actor answers with no direct reply gets an empty acknowledgement; its
      // delivery still happens (the sender's copy included) as broadcast events.
      const acked = await wait(sio.call('authenticated_message', { text: 'acked' }), 'empty ack');
      assert.equal(acked, undefined);
      await wait(ws.client.next('authenticated_message', (d) => d.text === 'acked'), 'ws receives the acked message');
      await wait(sio.next('authenticated_message', (d) => d.text === 'acked'), 'sender gets its own copy');

      // An ack takes the direct reply instead of a reply event.
      const pong = await wait(sio.call('ping_manual', { t: 7 }), 'ping ack');
      assert.equal(pong.t, 7);
      const debug = await wait(sio.call('debug_connection'), 'debug ack');
      assert.equal(debug.state, 'authenticated');
      assert.equal(debug.transport, 'socket.io');
      assert.equal(debug.username, sioName);
      assert.equal(debug.remote_address, '127.0.0.1');
      assert.equal(sio.received.filter((r) => r.event === 'pong_manual' || r.event === 'debug_connection').length, 0);
      // Without an ack, the reply is an event as on /ws.
      sio.emit('ping_manual', { t: 8 });
      assert.equal((await wait(sio.next('pong_manual'), 'pong event')).data.t, 8);

      if (tag === 'poll') {
        await wait(sio.upgraded(), 'upgrade to websocket');
        assert.equal(sio.transport, 'websocket');
      }

      // Logout elsewhere: `response` token_revoked, then the server disconnects the socket.
      const logout = await call('POST', `${t.http}/logout`, { token });
      assert.equal(logout.status, 200);
      const revoked = await wait(sio.next('response', (d) => d.ok === false), 'revocation notice');
      assert.deepEqual(revoked.data, { ok: false, code: 'token_revoked', message: 'Token has been revoked!' });
      assert.equal(await wait(sio.disconnected, 'kick'), 'io server disconnect');
      await wait(ws.client.next('user_status', (d) => d.username === sioName && d.status === 'offline'), 'ws sees sio user leave');
      await ws.client.close();
    });
  });
}

describe('socket.io on the TLS port', () => {
  test('both transports work over HTTPS, and broadcasts cross from one app to the other', async () => {
    const { token } = await registerAndLogin(t.http, 'sio_tls');
    for (const transports of [['polling', 'websocket'], ['websocket']] as Array<Array<'polling' | 'websocket'>>) {
      const sio = await wait(SioClient.connect(t.https, { transports, rejectUnauthorized: false, auth: { token } }), 'connect');
      const debug = await wait(sio.call('debug_connection'), 'debug ack');
      assert.equal(debug.state, 'authenticated');
      // The /ws peer is on the plain app; the broadcast reaches the TLS app's socket too.
      const ws = await wsUser(`tls_peer_${transports.length}`);
      ws.client.send('authenticated_message', { text: `to tls ${transports.join('+')}` });
      await wait(sio.next('authenticated_message', (d) => d.text === `to tls ${transports.join('+')}`), 'tls socket receives');
      sio.close();
      await ws.client.close();
    }
  });
});

describe('socket.io handshake auth', () => {
  test('a valid token in auth starts authenticated', async () => {
    const { token, userId } = await registerAndLogin(t.http, 'sio_auth_ok');
    const sio = await wait(SioClient.connect(t.http, { auth: { token } }), 'connect');
    const debug = await wait(sio.call('debug_connection'), 'debug ack');
    assert.equal(debug.state, 'authenticated');
    assert.equal(debug.user_id, userId);
    await wait(sio.next('user_status', (d) => d.username === 'sio_auth_ok'), 'presence');
    sio.close();
  });

  test('bad, revoked and malformed tokens are refused at connect with message and {code}', async () => {
    const first = await registerAndLogin(t.http, 'sio_auth_bad');
    const second = await call('POST', `${t.http}/login-token`, { body: { username: 'sio_auth_bad', password: 'correct horse battery' } });
    assert.equal(second.status, 200);
    const cases = [
      { auth: { token: 'not-a-jwt' }, message: 'Invalid token!', code: 'invalid_token' },
      { auth: { token: first.token }, message: 'Token has been revoked!', code: 'token_revoked' },
      { auth: { token: 42 }, message: 'Invalid token!', code: 'invalid_token' },
    ];
    for (const c of cases) {
      const refused = await wait(SioClient.connect(t.http, { auth: c.auth }).then(() => undefined, (e: unknown) => e), 'refusal');
      assert.ok(refused instanceof ConnectRefused, String(refused));
      assert.equal(refused.message, c.message);
      assert.deepEqual(refused.data, { code: c.code });
    }
  });
});

describe('socket.io failures', () => {
  test('a bad register_user token: the ack gets the failure, then io server disconnect', async () => {
    const sio = await wait(SioClient.connect(t.http, { transports: ['websocket'] }), 'connect');
    const answer = await wait(sio.call('register_user', { token: 'nope', username: 'whoever' }), 'register ack');
    assert.deepEqual(answer, { ok: false, code: 'invalid_token', message: 'Invalid token!' });
    assert.equal(await wait(sio.disconnected, 'disconnect'), 'io server disconnect');
  });

  test('without an ack the failure comes as a `response` event before the disconnect', async () => {
    const sio = await wait(SioClient.connect(t.http), 'connect');
    sio.emit('register_user', { token: 'nope', username: 'whoever' });
    const response = await wait(sio.next('response'), 'response');
    assert.deepEqual(response.data, { ok: false, code: 'invalid_token', message: 'Invalid token!' });
    assert.equal(await wait(sio.disconnected, 'disconnect'), 'io server disconnect');
  });

  test('unknown events and bad data are invalid_message; the socket stays', async () => {
    const sio = await wait(SioClient.connect(t.http, { transports: ['websocket'] }), 'connect');
    const unknown = await wait(sio.call('no_such_event', { a: 1 }), 'unknown ack');
    assert.equal(unknown.ok, false);
    assert.equal(unknown.code, 'invalid_message');
    const badData = await wait(sio.call('register_user', { token: 1 }), 'bad data ack');
    assert.equal(badData.code, 'invalid_message');
    const before = await wait(sio.call('authenticated_message', { text: 'x' }), 'not authenticated ack');
    assert.deepEqual(before, { ok: false, code: 'not_authenticated', message: 'Not authenticated' });
    // An event named like an EventEmitter's `error` is just an unknown event, not a crash.
    sio.emit('error', 'boom');
    const binary = await wait(sio.call('message', Buffer.from([1, 2, 3])), 'binary ack');
    assert.equal(binary.code, 'invalid_message');
    const echo = await wait(sio.call('message', { hello: 'world' }), 'echo ack');
    assert.deepEqual(echo, { from: null, data: { hello: 'world' } });
    sio.close();
  });

  test('flooding is throttled, then ended with rate_limited and io server disconnect', async () => {
    const sio = await wait(SioClient.connect(t.http, { transports: ['websocket'] }), 'connect');
    for (let i = 0; i < 400; i++) sio.emit('ping_manual', { t: i });
    const limited = await wait(sio.next('response', (d) => d.code === 'rate_limited'), 'rate_limited');
    assert.equal(limited.data.ok, false);
    assert.equal(await wait(sio.disconnected, 'disconnect'), 'io server disconnect');
  });

  test('a payload over 64 KiB ends the connection', async () => {
    const sio = await wait(SioClient.connect(t.http, { transports: ['websocket'] }), 'connect');
    sio.emit('message', 'x'.repeat(65 * 1024));
    const reason = await wait(sio.disconnected, 'disconnect');
    assert.match(reason, /transport (close|error)/);
  });

  test('server shutdown ends the transport, so clients reconnect by themselves', async () => {
    const own = await startTestBeacon();
    const clients = await Promise.all([SioClient.connect(own.http), SioClient.connect(own.http, { transports: ['websocket'] })]);
    await own.stop();
    for (const sio of clients) {
      // Not `io server disconnect`, after which socket.io-client would not reconnect.
      assert.match(await wait(sio.disconnected, 'disconnect'), /^transport (close|error)$/);
    }
  });
});

describe('socket.io Origin allow-list', () => {
  test('only listed origins may open a socket.io session', async () => {
    const own = await startTestBeacon({ env: { ALLOWED_ORIGINS: 'https://good.example' } });
    try {
      for (const transports of [['polling'], ['websocket']]) {
        const refused = await wait(
          SioClient.connect(own.http, { transports, extraHeaders: { origin: 'https://evil.example' } }).then(() => undefined, (e: unknown) => e),
          'refusal',
        );
        assert.ok(refused instanceof ConnectRefused, `${transports[0]}: ${String(refused)}`);
        const ok = await wait(SioClient.connect(own.http, { transports, extraHeaders: { origin: 'https://good.example' } }), 'allowed');
        ok.close();
      }
    } finally {
      await own.stop();
    }
  });
});

describe("Debian's python3-socketio client", () => {
  const python = findPython();
  test('registers, shares presence and messages with a /ws client, and is kicked by logout', { skip: python === undefined ? 'no python3 with socketio and websocket modules' : false }, async () => {
    const { token, userId } = await registerAndLogin(t.http, 'py_user');
    const ws = await wsUser('py_peer');
    const py = PythonClient.start(python as string, t.http);
    try {
      await wait(py.next('connected'), `python connect (${py.errors})`);
      const registered = await wait(py.call('register_user', { token, username: 'py_user' }), 'python register');
      assert.deepEqual(registered, { ok: true, code: 'registered', message: 'User registered', username: 'py_user', user_id: userId });
      await wait(ws.client.next('user_status', (d) => d.username === 'py_user' && d.status === 'online'), 'ws sees python user');
      const status = await wait(py.nextEvent('user_status', (d) => d.username === 'py_user'), 'python sees presence');
      assert.equal(status.data.status, 'online');

      py.send({ emit: 'authenticated_message', data: { text: 'merhaba from python' } });
      const atWs = await wait(ws.client.next('authenticated_message', (d) => d.from === 'py_user'), 'ws receives');
      assert.equal(atWs.data.text, 'merhaba from python');
      ws.client.send('authenticated_message', { text: 'hello python', to: 'py_user' });
      const atPy = await wait(py.nextEvent('authenticated_message', (d) => d.from === 'py_peer'), 'python receives');
      assert.equal(atPy.data.text, 'hello python');

      const pong = await wait(py.call('ping_manual', { t: 'py' }), 'python ping ack');
      assert.equal(pong.t, 'py');
      py.send({ transport: true });
      const transport = await wait(py.next('transport'), 'transport');
      assert.ok(['polling', 'websocket'].includes(transport.transport ?? ''), JSON.stringify(transport));

      const logout = await call('POST', `${t.http}/logout`, { token });
      assert.equal(logout.status, 200);
      const revoked = await wait(py.nextEvent('response', (d) => d.ok === false), 'python revocation notice');
      assert.deepEqual(revoked.data, { ok: false, code: 'token_revoked', message: 'Token has been revoked!' });
      await wait(py.next('disconnected'), 'python disconnected');
      assert.equal(await wait(py.exited, 'python exit'), 0);
      await wait(ws.client.next('user_status', (d) => d.username === 'py_user' && d.status === 'offline'), 'ws sees python user leave');
    } finally {
      py.kill();
      await ws.client.close();
    }
  });
});
