// The ceiling: a raw uWebSockets.js server doing the same wire work as Beacon's /ws (JSON
// envelopes: connect frame, register_user, ping_manual, message, authenticated_message
// broadcast through one topic; channels as topics: `subscribe` subscribes the socket,
// `publish` publishes to it, offsets counted in memory) with no auth, no validation, no
// actors, no history, no log.

import { uws } from '../../src/http/uws.js';
import { announceReady, installMemoryProbe, stopOnSignals } from './common.js';

interface Data {
  username: string | null;
}
interface Envelope {
  event: string;
  data: any;
  id?: number;
}

const TOPIC = 'authenticated';
/** Offsets per channel, so publications carry the shape Beacon's do; nothing is kept. */
const offsets = new Map<string, number>();
const EPOCH = 'memory';
const decoder = new TextDecoder();
const app = uws.App();
let sids = 0;

const frame = (event: string, data: unknown, id?: number): string => JSON.stringify(id === undefined ? { event, data } : { event, data, id });

app.ws<Data>('/ws', {
  compression: uws.DISABLED,
  maxPayloadLength: 256 * 1024,
  maxBackpressure: 1024 * 1024,
  idleTimeout: 60,
  sendPingsAutomatically: true,
  upgrade: (res, req, context) => {
    res.upgrade<Data>(
      { username: null },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    ws.send(frame('connect', { sid: String(++sids), state: 'connected', server_time: Date.now() }));
  },
  message: (ws, message) => {
    let f: Envelope;
    try {
      f = JSON.parse(decoder.decode(message)) as Envelope;
    } catch {
      return void ws.send(frame('response', { ok: false, code: 'invalid_message', message: 'Malformed JSON' }));
    }
    const data = ws.getUserData();
    switch (f.event) {
      case 'register_user':
        data.username = String(f.data?.username ?? '');
        ws.subscribe(TOPIC);
        ws.send(frame('response', { ok: true, code: 'registered', message: 'User registered', username: data.username, user_id: 0 }, f.id));
        break;
      case 'ping_manual':
        ws.send(frame('pong_manual', { t: f.data?.t ?? null, server_time: Date.now() }, f.id));
        break;
      case 'message':
        ws.send(frame('message', { from: data.username, data: f.data ?? null }, f.id));
        break;
      case 'authenticated_message':
        app.publish(TOPIC, frame('authenticated_message', { from: data.username, data: f.data?.data ?? null, text: f.data?.text ?? null, ts: Date.now() }));
        break;
      case 'subscribe': {
        const channel = String(f.data?.channel ?? '');
        ws.subscribe(channel);
        ws.send(frame('subscribed', { channel, epoch: EPOCH, offset: offsets.get(channel) ?? 0, recovered: false, publications: [], presence: null }, f.id));
        break;
      }
      case 'publish': {
        const channel = String(f.data?.channel ?? '');
        const offset = (offsets.get(channel) ?? 0) + 1;
        offsets.set(channel, offset);
        ws.send(frame('published', { channel, offset }, f.id));
        // app.publish, not ws.publish: the sender gets its own publication, as on Beacon.
        app.publish(channel, frame('publication', { channel, offset, epoch: EPOCH, from: { username: data.username, user_id: 0 }, data: f.data?.data ?? null, ts: Date.now() }));
        break;
      }
      default:
        ws.send(frame('response', { ok: false, code: 'invalid_message', message: 'Unknown event' }, f.id));
    }
  },
});
app.get('/healthz', (res) => void res.end('{"status":"ok"}'));

app.listen('127.0.0.1', 0, (listenSocket) => {
  if (listenSocket === false) throw new Error('uws peer: cannot listen');
  installMemoryProbe();
  stopOnSignals(() => uws.us_listen_socket_close(listenSocket));
  announceReady({ http: uws.us_socket_local_port(listenSocket as never) });
});
