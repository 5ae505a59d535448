// A thin WebSocket client for Beacon's envelope protocol (docs/protocol.md, section 3):
// numbered requests, replies matched by id, and every frame in and out reported as an
// event so the log, the tracker and the inspector all see the same traffic.

/**
 * @typedef {{ event: string, data?: any, id?: number }} Frame
 * @typedef {{ event: string, sentAt: number }} Pending
 * @typedef {{ frame: Frame, raw: string, at: number }} SentDetail
 * @typedef {{ frame: Frame | undefined, raw: string, at: number, request: Pending | undefined }} FrameDetail
 * @typedef {{ code: number, reason: string, wasClean: boolean, at: number }} CloseDetail
 */

/** The socket URL on this page's own origin: ws: on HTTP, wss: on HTTPS. */
export function socketUrl(loc = window.location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

export class BeaconSocket extends EventTarget {
  /** @type {WebSocket | undefined} */
  #ws;
  #nextId = 1;
  /** @type {Map<number, Pending>} */
  #pending = new Map();

  get readyState() {
    return this.#ws?.readyState ?? WebSocket.CLOSED;
  }

  get isOpen() {
    return this.readyState === WebSocket.OPEN;
  }

  /** Opens a new socket (closing any previous one first). @param {string} url */
  open(url) {
    this.#ws?.close(1000, 'reconnecting');
    this.#pending.clear();
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.addEventListener('open', () => this.#emit('open', { url, at: Date.now() }));
    ws.addEventListener('message', (e) => {
      if (ws !== this.#ws) return;
      const raw = typeof e.data === 'string' ? e.data : '[binary frame]';
      /** @type {Frame | undefined} */
      let frame;
      try {
        const parsed = JSON.parse(raw);
        if (parsed && typeof parsed.event === 'string') frame = parsed;
      } catch {
        frame = undefined;
      }
      let request;
      if (frame && typeof frame.id === 'number') {
        request = this.#pending.get(frame.id);
        this.#pending.delete(frame.id);
      }
      this.#emit('frame', { frame, raw, at: Date.now(), request });
    });
    ws.addEventListener('close', (e) => {
      if (ws !== this.#ws) return;
      this.#pending.clear();
      this.#emit('close', { code: e.code, reason: e.reason, wasClean: e.wasClean, at: Date.now() });
    });
    ws.addEventListener('error', () => {
      if (ws === this.#ws) this.#emit('error', { at: Date.now() });
    });
  }

  /**
   * Sends one envelope; with `withId` it is numbered so its reply can be matched.
   * @param {string} event
   * @param {unknown} [data]
   * @param {{ withId?: boolean }} [options]
   * @returns {number | undefined} the id, or undefined when not sent
   */
  send(event, data, options = {}) {
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return undefined;
    /** @type {Frame} */
    const frame = { event };
    if (data !== undefined) frame.data = data;
    let id;
    if (options.withId !== false) {
      id = this.#nextId++;
      frame.id = id;
      this.#pending.set(id, { event, sentAt: performance.now() });
    }
    return this.sendRaw(JSON.stringify(frame), frame) ? id : undefined;
  }

  /**
   * Sends text as it is (the Debug tab's raw frames).
   * @param {string} raw
   * @param {Frame} [frame] the parsed envelope, when known
   */
  sendRaw(raw, frame) {
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    let parsed = frame;
    if (parsed === undefined) {
      try {
        const value = JSON.parse(raw);
        if (value && typeof value.event === 'string') parsed = value;
      } catch {
        parsed = undefined;
      }
    }
    this.#ws.send(raw);
    this.#emit('sent', { frame: parsed, raw, at: Date.now() });
    return true;
  }

  /** @param {number} [code] @param {string} [reason] */
  close(code = 1000, reason = 'client disconnect') {
    this.#ws?.close(code, reason);
  }

  /** @param {string} type @param {unknown} detail */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
