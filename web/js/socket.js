// The console's WebSocket: the client library (@beacon/client, bundled into
// web/lib/beacon-client.js) does the talking (numbered requests, registration with the
// token, reconnecting with backoff); this adapter reports every frame in and out as an
// event, so the log, the tracker and the inspector all see the same traffic.

import { BeaconClient, closeMeaning } from '../lib/beacon-client.js';

/**
 * @typedef {{ event: string, data?: any, id?: number }} Frame
 * @typedef {{ event: string, sentAt: number }} Pending
 * @typedef {{ frame: Frame | undefined, raw: string, at: number }} SentDetail
 * @typedef {{ frame: Frame | undefined, raw: string, at: number, request: Pending | undefined }} FrameDetail
 * @typedef {{ code: number, reason: string, meaning: string, reconnect: boolean, delayMs: number | null, at: number }} CloseDetail
 * @typedef {{ token: string, username: string } | null} Credentials
 */

/** The socket URL on this page's own origin: ws: on HTTP, wss: on HTTPS. */
export function socketUrl(loc = window.location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

/** @param {string} raw @returns {Frame | undefined} */
function parse(raw) {
  try {
    const value = JSON.parse(raw);
    return value && typeof value.event === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export class BeaconSocket extends EventTarget {
  /** What the next (re)connection registers with; null connects without a token. @type {Credentials} */
  credentials = null;
  /** @type {Map<number, Pending>} */
  #pending = new Map();

  /** One client for the page: reconnects and repeated Connects keep its state. */
  client = new BeaconClient({
    url: socketUrl(),
    getToken: () => this.credentials,
    reconnect: { baseMs: 500, maxMs: 10_000 },
  });

  constructor() {
    super();
    const c = this.client;
    c.on('sent', ({ raw }) => {
      const frame = parse(raw);
      if (frame && typeof frame.id === 'number') this.#pending.set(frame.id, { event: frame.event, sentAt: performance.now() });
      this.#emit('sent', { frame, raw, at: Date.now() });
    });
    c.on('frame', ({ raw }) => {
      const frame = parse(raw);
      let request;
      if (frame && typeof frame.id === 'number') {
        request = this.#pending.get(frame.id);
        this.#pending.delete(frame.id);
      }
      this.#emit('frame', { frame, raw, at: Date.now(), request });
    });
    c.on('connected', () => this.#emit('open', { at: Date.now() }));
    c.on('disconnected', (d) => {
      this.#pending.clear();
      this.#emit('close', { ...d, at: Date.now() });
    });
    c.on('connecting', ({ attempt }) => this.#emit('connecting', { attempt, at: Date.now() }));
  }

  get isOpen() {
    return this.client.state === 'connected' || this.client.state === 'authenticated';
  }

  /** Connects (registering with `credentials` when given); a connection already up is replaced. @param {Credentials} credentials */
  open(credentials) {
    this.credentials = credentials;
    if (this.client.active) this.client.close();
    this.client.connect();
  }

  /**
   * Sends one envelope; with `withId` it is numbered so its reply can be matched.
   * @param {string} event
   * @param {unknown} [data]
   * @param {{ withId?: boolean }} [options]
   * @returns {number | undefined} the id, or undefined when not sent
   */
  send(event, data, options = {}) {
    if (!this.isOpen) return undefined;
    if (options.withId === false) return this.sendRaw(JSON.stringify(data === undefined ? { event } : { event, data })) ? 0 : undefined;
    const { id, answer } = this.client.call(event, data);
    // Replies and refusals reach the page as frames; the promise itself is not needed.
    answer.catch(() => {});
    return id;
  }

  /** Sends text as it is (the Debug tab's raw frames). @param {string} raw */
  sendRaw(raw) {
    return this.client.sendRaw(raw);
  }

  /** Ends the connection for good (until the next open). */
  close() {
    this.client.close();
  }

  /** @param {string} type @param {unknown} detail */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export { closeMeaning };
