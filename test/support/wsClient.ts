// A WebSocket test client (the `ws` package, written by others) that waits for frames and
// closes as events, never by sleeping: `next('user_status')`, `request('ping_manual')`, `closed`.

import WebSocket from 'ws';

export interface Frame {
  event: string;
  data: any;
  id?: number;
}

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private cursor = 0;
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw, isBinary) => {
      const frame = JSON.parse(isBinary ? Buffer.from(raw as Buffer).toString() : raw.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(url: string, options: { origin?: string; rejectUnauthorized?: boolean } = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { rejectUnauthorized: false, ...(options.origin === undefined ? {} : { origin: options.origin }) });
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
    });
  }

  send(event: string, data?: unknown, id?: number): void {
    this.ws.send(JSON.stringify(id === undefined ? { event, data } : { event, data, id }));
  }

  sendRaw(payload: string | Buffer, binary = false): void {
    this.ws.send(payload, { binary });
  }

  /** Sends with a fresh id and resolves with the direct reply carrying that id. */
  request(event: string, data?: unknown): Promise<Frame> {
    const id = this.nextId++;
    const reply = this.waitFor((f) => f.id === id);
    this.send(event, data, id);
    return reply;
  }

  /** The next frame (after those already consumed by next()) with this event name. */
  next(event: string, match: (data: any) => boolean = () => true): Promise<Frame> {
    for (let i = this.cursor; i < this.frames.length; i++) {
      const f = this.frames[i] as Frame;
      if (f.event === event && match(f.data)) {
        this.cursor = i + 1;
        return Promise.resolve(f);
      }
    }
    return this.waitFor((f) => f.event === event && match(f.data)).then((f) => {
      this.cursor = this.frames.indexOf(f) + 1;
      return f;
    });
  }

  /** Any frame, already received or future, matching the predicate. */
  waitFor(match: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** register_user and wait for its answer. */
  async register(token: string, username: string): Promise<Frame> {
    return this.request('register_user', { token, username });
  }

  close(code = 1000, reason = ''): Promise<Closed> {
    this.ws.close(code, reason);
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export function wsUrl(base: string, token?: string): string {
  const url = `${base.replace(/^http/, 'ws')}/ws`;
  return token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`;
}

/** Rejects when `promise` does not settle within `ms`: a bound, not a sleep. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]);
}
