// The Beacon console: wires the forms and buttons to the HTTP API and the WebSocket, and
// fans every frame out to the log, the raw frame list, the presence list and the tracker
// the Inspector draws from; the Channels tab (channels.js) listens to the same socket.

import { login, logout, peekClaims, register } from './api.js';
import { CHANNEL_REQUESTS, ChannelsTab } from './channels.js';
import { CLOSE_EXPLANATIONS, REVOKING_CODES, describeClose } from './closeCodes.js';
import { byId, clock, duration, h } from './dom.js';
import { noteOf, titleOf } from './frameText.js';
import { AdminTab } from './admin.js';
import { adminKey } from './adminKey.js';
import { Inspector } from './inspector.js';
import { MessageLog, RawFrames } from './log.js';
import { Presence } from './presence.js';
import { BeaconSocket, socketUrl } from './socket.js';
import { setupTabs } from './tabs.js';
import { ConnectionTracker } from './tracker.js';

const $ = byId;
const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id));
const area = (/** @type {string} */ id) => /** @type {HTMLTextAreaElement} */ ($(id));

const log = new MessageLog(/** @type {HTMLOListElement} */ ($('log')), input('log-autoscroll'));
const frames = new RawFrames(/** @type {HTMLOListElement} */ ($('frames')), $('frames-count'));
const presence = new Presence({
  list: /** @type {HTMLUListElement} */ ($('online-list')),
  count: $('user-count'),
  connections: $('connection-count'),
  datalist: /** @type {HTMLDataListElement} */ ($('online-usernames')),
});
const socket = new BeaconSocket();
new ChannelsTab(socket, log);
const tracker = new ConnectionTracker();
const token = () => area('token').value.trim();
const inspector = new Inspector({ tracker, adminKey });
const adminTab = new AdminTab({ log });

let registerOnConnect = false;
/** Why the status line says what it says after a close (the last failure the server named). */
let lastFailure = '';

// ---- status ---------------------------------------------------------------------------

/** @param {string} state @param {string} text */
function setStatus(state, text) {
  $('status-pill').dataset['state'] = state;
  $('status-text').textContent = text;
}

function refreshControls() {
  const open = socket.isOpen;
  for (const el of document.querySelectorAll('.needs-socket')) /** @type {HTMLButtonElement} */ (el).disabled = !open;
  /** @type {HTMLButtonElement} */ ($('disconnect')).disabled = !open;
  $('testing-connection-hint').hidden = open;
}

/** The session ended on the server's word: shown until the next connection. @param {string} title @param {string} text */
function banner(title, text) {
  $('session-banner').hidden = title === '';
  $('session-banner-title').textContent = title;
  $('session-banner-text').textContent = text;
}

/** @param {string} id @param {'ok' | 'error' | 'info'} kind @param {string} text */
function result(id, kind, text) {
  const el = $(id);
  el.dataset['kind'] = kind;
  el.textContent = text;
}

// ---- HTTP: register, log in, log out --------------------------------------------------

/** @param {HTMLInputElement} el @param {string} what */
function validity(el, what) {
  if (el.checkValidity()) return '';
  el.focus();
  return `${what}: ${el.validationMessage}`;
}

$('register-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const user = input('register-username');
  const pass = input('register-password');
  const problem = validity(user, 'Username') || validity(pass, 'Password');
  if (problem) return result('register-result', 'error', problem);
  result('register-result', 'info', 'Registering…');
  const res = await register(user.value, pass.value);
  log.add({ dir: 'http', title: `POST /register → ${res.status}`, body: res.body });
  if (res.ok) {
    result('register-result', 'ok', `${res.body.message} (user id ${res.body.user?.user_id}). You can log in now.`);
    input('login-username').value = user.value;
    if (!input('login-password').value) input('login-password').value = pass.value;
  } else result('register-result', 'error', `${res.status} ${res.body?.error}: ${res.body?.message}`);
});

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const user = input('login-username');
  const pass = input('login-password');
  const problem = validity(user, 'Username') || validity(pass, 'Password');
  if (problem) return result('login-result', 'error', problem);
  result('login-result', 'info', 'Logging in…');
  const res = await login(user.value, pass.value);
  log.add({ dir: 'http', title: `POST /login-token → ${res.status}`, body: res.ok ? { ...res.body, token: `${String(res.body.token).slice(0, 16)}…` } : res.body });
  if (!res.ok) {
    const retry = res.status === 429 ? ' Too many attempts: wait a minute.' : '';
    return result('login-result', 'error', `${res.status} ${res.body?.error}: ${res.body?.message}.${retry}`);
  }
  area('token').value = res.body.token;
  input('ws-username').value = res.body.user.username;
  result('login-result', 'ok', `Logged in as ${res.body.user.username}. Token valid for ${duration(res.body.expires_in * 1000)}.`);
  showToken();
  inspector.tokenChanged();
});

$('logout').addEventListener('click', async () => {
  const t = token();
  if (!t) return result('session-result', 'error', 'No token to log out with: log in first.');
  const res = await logout(t);
  log.add({ dir: 'http', title: `POST /logout → ${res.status}`, body: res.body });
  if (res.ok) {
    result('session-result', 'ok', `${res.body.message}. The token is revoked: every connection using it is closed.`);
    $('token-meta').textContent = 'This token was revoked by logout. Log in again for a new one.';
    $('user-pill').hidden = true;
  } else result('session-result', 'error', `${res.status} ${res.body?.error}: ${res.body?.message}`);
});

function showToken() {
  const t = token();
  const meta = $('token-meta');
  if (!t) return void (meta.textContent = 'No token yet.');
  const claims = peekClaims(t);
  if (!claims) return void (meta.textContent = 'This does not look like a JWT; the server will decide.');
  const exp = typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : undefined;
  const left = exp === undefined ? '' : exp < Date.now() ? ' · expired' : ` · expires ${clock(exp).slice(0, 5)} (in ${duration(exp - Date.now())})`;
  meta.textContent = `${claims['username'] ?? '?'} · user ${claims['user_id'] ?? '?'}${left} · jti ${String(claims['jti'] ?? '?').slice(0, 8)}…`;
  const pill = $('user-pill');
  pill.textContent = `Token: ${claims['username'] ?? '?'}`;
  pill.hidden = false;
  if (!input('ws-username').value && typeof claims['username'] === 'string') input('ws-username').value = claims['username'];
}
area('token').addEventListener('input', () => {
  showToken();
  inspector.tokenChanged();
});

// ---- WebSocket ------------------------------------------------------------------------

/** @param {boolean} andRegister */
function connect(andRegister) {
  if (andRegister && (!token() || !input('ws-username').value.trim())) {
    return result('session-result', 'error', 'Connect & Register needs a token and a username: log in first, or paste a token.');
  }
  registerOnConnect = andRegister;
  lastFailure = '';
  tracker.reset();
  presence.clear();
  result('session-result', 'info', '');
  banner('', '');
  setStatus('connecting', 'Connecting…');
  const url = socketUrl();
  log.add({ dir: 'sys', title: `Connecting to ${url}` });
  socket.open(url);
}

$('connect-register').addEventListener('click', () => connect(true));
$('connect-only').addEventListener('click', () => connect(false));
$('disconnect').addEventListener('click', () => {
  socket.send('disconnect', { reason: 'client disconnect' }, { withId: false });
  socket.close(1000, 'client disconnect');
});

function sendRegister() {
  socket.send('register_user', { token: token(), username: input('ws-username').value.trim() });
}

socket.addEventListener('open', () => {
  setStatus('connected', 'Connected · not authenticated');
  log.add({ dir: 'sys', title: 'WebSocket open' });
  refreshControls();
});

socket.addEventListener('sent', (e) => {
  const { frame, raw, at } = /** @type {CustomEvent<import('./socket.js').SentDetail>} */ (e).detail;
  frames.add('out', raw, at);
  tracker.sent(frame);
  if (frame?.event === 'register_user') {
    setStatus('registering', 'Registering…');
    const data = { ...frame.data, token: `${String(frame.data?.token ?? '').slice(0, 16)}…` };
    log.add({ dir: 'out', title: frame.event, id: frame.id, body: data, at });
  } else log.add({ dir: 'out', title: frame?.event ?? 'raw text', id: frame?.id, body: frame ? frame.data : raw, at });
});

socket.addEventListener('frame', (e) => {
  const { frame, raw, at, request } = /** @type {CustomEvent<import('./socket.js').FrameDetail>} */ (e).detail;
  frames.add('in', raw, at);
  if (!frame) return log.add({ dir: 'in', title: 'unreadable frame', body: raw, at });
  tracker.received(frame);
  log.add({ dir: 'in', title: titleOf(frame), id: frame.id, body: frame.data, at, note: noteOf(frame) });
  const data = frame.data ?? {};
  switch (frame.event) {
    case 'connect':
      if (registerOnConnect) sendRegister();
      break;
    case 'response':
      if (!CHANNEL_REQUESTS.has(request?.event ?? '')) onResponse(data);
      break;
    case 'message':
      result('message-result', 'ok', `Echoed back${data.from ? ` from ${data.from}` : ' (not authenticated: from null)'}.`);
      break;
    case 'authenticated_message':
      if (data.from === input('ws-username').value.trim()) result('auth-message-result', 'ok', `Delivered${data.to ? ` to ${data.to}` : ''} at ${clock(data.ts ?? Date.now())}.`);
      break;
    case 'pong_manual': {
      const rtt = request ? performance.now() - request.sentAt : undefined;
      result('ping-result', 'ok', rtt === undefined ? 'pong (unmatched)' : `${rtt.toFixed(1)} ms round trip`);
      break;
    }
    case 'debug_connection':
      showDebug(data);
      break;
    case 'online_users':
      presence.replace(data);
      result('online-result', 'ok', `${data.count} online: ${(data.users ?? []).map((/** @type {any} */ u) => u.username).join(', ') || 'nobody'}.`);
      break;
    case 'connections_checked':
      result('check-result', 'ok', `${data.active} active, ${data.removed} removed.`);
      break;
    case 'user_status':
      presence.status(data);
      break;
    case 'user_count':
      presence.counts(data);
      break;
    case 'disconnect':
      lastFailure = data.reason ?? '';
      break;
    default:
      break;
  }
});

/** @param {any} data */
function onResponse(data) {
  if (data.ok === true && (data.code === 'registered' || data.code === 'token_refreshed')) {
    presence.me = data.username;
    setStatus('authenticated', `Authenticated as ${data.username}`);
    result('session-result', 'ok', `${data.message}: ${data.username} (user ${data.user_id}).`);
    socket.send('get_online_users');
    return;
  }
  if (data.ok === false) {
    lastFailure = data.message ?? data.code;
    if (REVOKING_CODES.has(data.code)) {
      setStatus('revoked', `Revoked · ${data.message}`);
      banner(data.message, `The server ended this session (${data.code}) and closes the connection.`);
    } else if (data.code === 'not_authenticated') {
      result('auth-message-result', 'error', `${data.message}: connect & register first.`);
    } else {
      result('session-result', 'error', `${data.code}: ${data.message ?? ''}`);
    }
  }
}

socket.addEventListener('close', (e) => {
  const { code, reason, at } = /** @type {CustomEvent<import('./socket.js').CloseDetail>} */ (e).detail;
  tracker.closed(code);
  const words = describeClose(code);
  log.add({ dir: 'close', title: `Closed · ${words}`, note: reason ? `Reason: ${reason}` : undefined, at });
  const explained = CLOSE_EXPLANATIONS[code];
  setStatus(explained ? 'revoked' : 'closed', `Closed · ${words}`);
  if (explained) banner(reason || lastFailure || explained.title, `Connection closed with ${words}. ${explained.text}`);
  presence.me = null;
  presence.clear();
  refreshControls();
});

socket.addEventListener('error', () => {
  log.add({ dir: 'error', title: 'WebSocket error', note: location.protocol === 'https:' ? 'On HTTPS, check that the certificate is accepted (see the note on the Connection tab).' : 'The close that follows says why.' });
});

// ---- Testing tab ----------------------------------------------------------------------

$('message-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = area('message-data').value;
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  socket.send('message', data);
  result('message-result', 'info', 'Sent…');
});

$('auth-message-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const to = input('auth-to').value.trim();
  /** @type {{ text: string, to?: string }} */
  const data = { text: input('auth-text').value };
  if (to) data.to = to;
  socket.send('authenticated_message', data);
  result('auth-message-result', 'info', 'Sent…');
});

$('send-ping').addEventListener('click', () => {
  socket.send('ping_manual', { t: Date.now() });
  result('ping-result', 'info', 'waiting for pong…');
});
for (const id of ['send-debug', 'send-debug-2']) $(id).addEventListener('click', () => socket.send('debug_connection'));
$('send-online').addEventListener('click', () => socket.send('get_online_users'));
$('send-check').addEventListener('click', () => socket.send('check_connections'));

/** @param {Record<string, unknown>} data */
function showDebug(data) {
  /** @type {Array<[string, unknown]>} */
  const rows = Object.entries(data).map(([k, v]) => {
    if ((k === 'connected_at' || k === 'token_expires_at') && typeof v === 'number') return [k, `${new Date(v).toLocaleString()} (${v})`];
    return [k, v];
  });
  $('debug-kv').replaceChildren(...rows.map(([k, v]) => h('div', {}, [h('dt', { text: k }), h('dd', { text: v === null ? 'null' : String(v) })])));
  result('debug-short', 'ok', `${data['state']} · ${data['username'] ?? 'anonymous'} · ${data['transport']} · from ${data['remote_address']}`);
}

// ---- Debug tab ------------------------------------------------------------------------

$('raw-form').addEventListener('submit', (e) => {
  e.preventDefault();
  socket.sendRaw(area('raw-text').value);
});
$('clear-frames').addEventListener('click', () => frames.clear());
$('clear-log').addEventListener('click', () => log.clear());

// ---- start ----------------------------------------------------------------------------

setupTabs($('workspace').querySelector('[role="tablist"]') ?? $('tab-connection'), (id) => {
  inspector.setVisible(id === 'tab-inspector');
  adminTab.setVisible(id === 'tab-admin');
});
$('socket-url-hint').textContent = `Socket: ${socketUrl()}`;
if (location.protocol === 'https:') /** @type {HTMLDetailsElement} */ ($('tls-note')).open = true;
refreshControls();
presence.clear();
log.add({ dir: 'sys', title: 'Console ready', note: 'Register or log in, then Connect & Register.' });
