// One load-generator connection: a lean WebSocket (rawws.ts) bound to its own loopback source
// address (127.0.<w>.<n>, so tens of thousands of sockets never run out of ephemeral ports),
// speaking a codec, and the authenticated open: connect frame → register_user → response ok.

import { codecs, type Codec, type Frame } from './codec.js';
import type { Cred, Target } from './messages.js';
import { RawWs } from './rawws.js';

export type FrameHandler = (conn: Conn, frame: Frame) => void;

export class Conn {
  /** While set, frames go here instead of to the worker's handler (opening). */
  waiter: ((frame: Frame) => void) | undefined = undefined;
  lastSend = 0;
  closed = false;
  constructor(
    readonly ws: RawWs,
    readonly codec: Codec,
    /** The server it is connected to (the cluster scenario counts deliveries per node). */
    readonly base: string,
  ) {}
  /** Replies still awaited from the last pipelined batch (saturation). */
  outstanding = 0;
  send(event: string, data: unknown): void {
    if (!this.closed) this.ws.send(this.codec.encode(event, data));
  }
  sendBatch(event: string, data: unknown, count: number): void {
    if (this.closed) return;
    const text = this.codec.encode(event, data);
    this.ws.sendMany(Array.from({ length: count }, () => text));
  }
}

let addressCounter = 0;
const workerIndex = Number(process.env.BENCH_WORKER_INDEX ?? '0');

function nextLocalAddress(): string {
  const k = addressCounter++;
  return `127.0.${workerIndex + 1}.${2 + (k % 250)}`;
}

/** Opens and authenticates one connection; rejects on refusal, close or timeout. */
export function connect(target: Target, cred: Cred, onFrame: FrameHandler, timeoutMs = 15_000): Promise<Conn> {
  const codec = codecs[target.codec];
  return new Promise<Conn>((resolve, reject) => {
    const ws = new RawWs({ base: target.base, path: codec.path, localAddress: nextLocalAddress() });
    const conn = new Conn(ws, codec, target.base);
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.closed = true;
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('open timed out')), timeoutMs);
    conn.waiter = (frame) => {
      if (frame.event === 'connect') {
        conn.send('register_user', { token: cred.token, username: cred.username });
      } else if (frame.event === 'response' || frame.event === 'connect_error') {
        const data = frame.data as { ok?: boolean; code?: string; message?: string } | null;
        if (data?.ok !== true) return fail(new Error(`register refused: ${data?.code ?? data?.message ?? 'unknown'}`));
        settled = true;
        clearTimeout(timer);
        conn.waiter = undefined;
        resolve(conn);
      }
    };
    ws.onmessage = (text) => {
      const decoded = codec.decode(text);
      if (decoded === undefined) return;
      if (typeof decoded === 'string') return void ws.send(decoded);
      if (conn.waiter !== undefined) conn.waiter(decoded);
      else onFrame(conn, decoded);
    };
    ws.onerror = (err) => fail(err);
    ws.onclose = (code) => {
      conn.closed = true;
      fail(new Error(`closed with ${code} while opening`));
    };
  });
}

/** Closes politely and waits (bounded) for every close to finish. */
export async function closeAll(conns: readonly Conn[], timeoutMs = 5_000): Promise<void> {
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === 3) return resolve();
          const timer = setTimeout(() => {
            c.ws.terminate();
            resolve();
          }, timeoutMs);
          const previous = c.ws.onclose;
          c.ws.onclose = (code) => {
            clearTimeout(timer);
            previous(code);
            resolve();
          };
          c.closed = true;
          c.ws.close(1000);
        }),
    ),
  );
}
