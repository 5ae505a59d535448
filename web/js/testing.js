// The Testing tab: one button or form per client event of docs/protocol.md section 3
// (message, authenticated_message, ping_manual, debug_connection, get_online_users,
// check_connections), each answered in its own result line.

import { byId, clock, h, showResult } from './dom.js';

/**
 * @param {import('./socket.js').BeaconSocket} socket
 * @param {() => string | null} me the authenticated username, if any
 */
export function setupTestingTab(socket, me) {
  const input = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (byId(id));

  byId('message-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = /** @type {HTMLTextAreaElement} */ (byId('message-data')).value;
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
    socket.send('message', data);
    showResult('message-result', 'info', 'Sent…');
  });

  byId('auth-message-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const to = input('auth-to').value.trim();
    /** @type {{ text: string, to?: string }} */
    const data = { text: input('auth-text').value };
    if (to) data.to = to;
    socket.send('authenticated_message', data);
    showResult('auth-message-result', 'info', 'Sent…');
  });

  byId('send-ping').addEventListener('click', () => {
    socket.send('ping_manual', { t: Date.now() });
    showResult('ping-result', 'info', 'waiting for pong…');
  });
  for (const id of ['send-debug', 'send-debug-2']) byId(id).addEventListener('click', () => socket.send('debug_connection'));
  byId('send-online').addEventListener('click', () => socket.send('get_online_users'));
  byId('send-check').addEventListener('click', () => socket.send('check_connections'));

  socket.addEventListener('frame', (e) => {
    const { frame, request } = /** @type {CustomEvent<import('./socket.js').FrameDetail>} */ (e).detail;
    const data = frame?.data ?? {};
    switch (frame?.event) {
      case 'message':
        return showResult('message-result', 'ok', `Echoed back${data.from ? ` from ${data.from}` : ' (not authenticated: from null)'}.`);
      case 'authenticated_message':
        if (data.from === me()) showResult('auth-message-result', 'ok', `Delivered ${data.to ? `to ${data.to} only (direct)` : 'to everyone'} at ${clock(data.ts ?? Date.now())}.`);
        return undefined;
      case 'pong_manual': {
        const rtt = request ? performance.now() - request.sentAt : undefined;
        return showResult('ping-result', 'ok', rtt === undefined ? 'pong (unmatched)' : `${rtt.toFixed(1)} ms round trip`);
      }
      case 'debug_connection':
        return showDebug(data);
      case 'connections_checked':
        return showResult('check-result', 'ok', `${data.active} active, ${data.removed} removed.`);
      default:
        return undefined;
    }
  });
}

/** @param {Record<string, unknown>} data */
function showDebug(data) {
  /** @type {Array<[string, unknown]>} */
  const rows = Object.entries(data).map(([k, v]) => {
    if ((k === 'connected_at' || k === 'token_expires_at') && typeof v === 'number') return [k, `${new Date(v).toLocaleString()} (${v})`];
    return [k, v];
  });
  byId('debug-kv').replaceChildren(...rows.map(([k, v]) => h('div', {}, [h('dt', { text: k }), h('dd', { text: v === null ? 'null' : String(v) })])));
  showResult('debug-short', 'ok', `${data['state']} · ${data['username'] ?? 'anonymous'} · ${data['transport']} · from ${data['remote_address']}`);
}
