// The Beacon console: wires the forms and buttons to the HTTP API and the WebSocket, and
// fans every frame out to the log, the raw frame list, the presence list and the tracker
// the Inspector draws from; the Channels tab (channels.js) listens to the same socket.

import { login, logout, peekClaims, register } from './api.js';
import { CHANNEL_REQUESTS, ChannelsTab } from './channels.js';
import { CLOSE_EXPLANATIONS, REVOKING_CODES, describeClose } from './closeCodes.js';
import { byId, duration, showResult } from './dom.js';
import { noteOf, titleOf } from './frameText.js';
import { AdminTab } from './admin.js';
import { adminKey } from './adminKey.js';
import { Inspector } from './inspector.js';
import { MessageLog, RawFrames } from './log.js';
import { Presence } from './presence.js';
import { BeaconSocket, socketUrl } from './socket.js';
import { setupTabs } from './tabs.js';
import { setupTestingTab } from './testing.js';
import { TokenField } from './tokenField.js';
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
// The Testing tab's online answer follows the live list beside the log, not just the last ask.
presence.onChange = (users, connected) =>
  result('online-result', connected ? 'ok' : 'info', connected ? `${users.length} online: ${users.join(', ') || 'nobody'} (kept live by user_status).` : 'Not connected.');
const socket = new BeaconSocket();
new ChannelsTab(socket, log);
const tracker = new ConnectionTracker();
const token = () => tokenField.value;
const inspector = new Inspector({ tracker, adminKey });
const adminTab = new AdminTab({ log });
const tokenField = new TokenField(() => inspector.tokenChanged());

/** Why the status line says what it says after a close (the last failure the server named). */
let lastFailure = '';
/** The code of that failure (`username_mismatch` keeps the token: only the name was wrong). */
let lastFailureCode = '';

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

const result = showResult;

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
  tokenField.set(res.body.token, res.body.user.username);
  result('login-result', 'ok', `Logged in as ${res.body.user.username}. Token valid for ${duration(res.body.expires_in * 1000)}.`);
});

$('logout').addEventListener('click', async () => {
  const t = token();
  if (!t) return result('session-result', 'error', 'No token to log out with: log in first.');
  const res = await logout(t);
  log.add({ dir: 'http', title: `POST /logout → ${res.status}`, body: res.body });
  if (res.ok) {
    tokenField.dropKept();
    result('session-result', 'ok', `${res.body.message}. The token is revoked: every connection using it is closed.`);
    $('token-meta').textContent = 'This token was revoked by logout. Log in again for a new one.';
    $('user-pill').hidden = true;
  } else result('session-result', 'error', `${res.status} ${res.body?.error}: ${res.body?.message}`);
});

// ---- WebSocket ------------------------------------------------------------------------

/** @param {boolean} andRegister */
function connect(andRegister) {
  if (andRegister && (!token() || !input('ws-username').value.trim())) {
    return result('session-result', 'error', 'Connect & Register needs a token and a username: log in first, or paste a token.');
  }
  lastFailure = '';
  lastFailureCode = '';
  backAfter = '';
  tracker.reset();
  presence.clear();
  result('session-result', 'info', '');
  banner('', '');
  setStatus('connecting', 'Connecting…');
  const url = socketUrl();
  log.add({ dir: 'sys', title: `Connecting to ${url}` });
  socket.open(andRegister ? { token: token(), username: input('ws-username').value.trim() } : null);
}

$('connect-register').addEventListener('click', () => connect(true));
$('connect-only').addEventListener('click', () => connect(false));
// The library sends the polite `disconnect` frame, closes, and stops reconnecting.
$('disconnect').addEventListener('click', () => socket.close());

socket.addEventListener('open', () => {
  setStatus('connected', socket.credentials ? 'Connected · registering…' : 'Connected · no token: not authenticated');
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
    case 'response':
      if (!CHANNEL_REQUESTS.has(request?.event ?? '')) onResponse(data);
      break;
    case 'online_users':
      presence.replace(data);
      break;
    case 'user_status':
      presence.status(data);
      break;
    case 'user_count':
      presence.counts(data);
      break;
    case 'disconnect':
      lastFailure ||= data.reason ?? '';
      break;
    default:
      break;
  }
});

/** @param {any} data */
function onResponse(data) {
  if (data.ok === true && (data.code === 'registered' || data.code === 'token_refreshed')) {
    presence.me = data.username;
    setStatus('authenticated', `Authenticated as ${data.username}${backAfter ? ` · back after ${backAfter}` : ''}`);
    // "User registered" is the protocol's text for this socket, not a new account: say what happened.
    const what = data.code === 'registered' ? 'Connected as' : 'Token refreshed for';
    result('session-result', 'ok', `${what} ${data.username} (user ${data.user_id}).`);
    socket.send('get_online_users');
    return;
  }
  if (data.ok === false) {
    lastFailure = data.message ?? data.code;
    lastFailureCode = data.code;
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

/** Whether the last close left a reconnect pending (its repeat, now final, is not a new close). */
let reconnecting = false;
/** The close the client is coming back from by itself, said again once it is back. */
let backAfter = '';

socket.addEventListener('close', (e) => {
  const { code, reason, reconnect, delayMs, at } = /** @type {CustomEvent<import('./socket.js').CloseDetail>} */ (e).detail;
  const repeat = reconnecting && !reconnect;
  reconnecting = reconnect;
  const words = describeClose(code);
  if (repeat) log.add({ dir: 'sys', title: `Not reconnecting after ${words}` });
  else {
    tracker.closed(code);
    const again = reconnect ? `The client reconnects in ${duration(delayMs ?? 0)} (backoff with jitter).` : '';
    const tls = code === 1006 && location.protocol === 'https:' ? 'On HTTPS, check that the certificate is accepted (see the note on the Connection tab).' : '';
    log.add({ dir: 'close', title: `Closed · ${words}`, note: [reason ? `Reason: ${reason}.` : '', again, tls].filter(Boolean).join(' ') || undefined, at });
  }
  // A token that expired will not come back to life: stop here, a new login is needed.
  if (reconnect && (code === 4002 || reason === 'token expired')) return socket.close();
  backAfter = reconnect ? words : '';
  // A username mismatch is the name's fault, not the token's: the token stays good.
  const mismatch = code === 4003 && lastFailureCode === 'username_mismatch';
  const explained = CLOSE_EXPLANATIONS[code];
  setStatus(reconnect ? 'connecting' : explained ? 'revoked' : 'closed', `Closed · ${words}${reconnect ? ` · reconnecting in ${duration(delayMs ?? 0)}` : ''}`);
  if (mismatch) {
    const owner = peekClaims(token())?.['username'];
    banner('Token username mismatch!', `This token belongs to ${typeof owner === 'string' ? owner : 'another user'}, not to “${input('ws-username').value.trim()}”. The token is still good: put its username in the Username field and Connect & Register again.`);
  } else if (explained) {
    banner(reason || lastFailure || explained.title, `Connection closed with ${words}. ${explained.text}${reconnect ? ' The client reconnects by itself.' : ''}`);
  }
  presence.me = null;
  presence.clear();
  refreshControls();
});

socket.addEventListener('connecting', (e) => {
  const { attempt } = /** @type {CustomEvent<{ attempt: number }>} */ (e).detail;
  if (attempt > 0) setStatus('connecting', `Reconnecting… (attempt ${attempt})`);
});

// ---- Testing tab (testing.js) ---------------------------------------------------------

setupTestingTab(socket, () => presence.me);

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
