// Test drivers for the two Socket.IO clients no one here wrote: socket.io-client v4 (in
// process) and Debian's python3-socketio (python_client.py as a child process). Both record
// what they receive and let a test await it, never sleep for it.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

/** Bounds for awaiting anything in these tests: generous, the machine is shared. */
export const WAIT_MS = 20_000;

export interface Received {
  event: string;
  data: any;
}

/** Resolves the first of `items` (already there or still to come) that matches. */
class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<{ match: (item: T) => boolean; resolve: (item: T) => void }> = [];
  private cursor = 0;

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  /** The next item after those already taken by next() that matches. */
  next(match: (item: T) => boolean): Promise<T> {
    for (let i = this.cursor; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (match(item)) {
        this.cursor = i + 1;
        return Promise.resolve(item);
      }
    }
    return new Promise<T>((resolve) => this.waiters.push({ match, resolve })).then((item) => {
      this.cursor = this.items.indexOf(item) + 1;
      return item;
    });
  }
}

export class ConnectRefused extends Error {
  constructor(
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

/** A socket.io-client v4 socket that records every event it receives. */
export class SioClient {
  private readonly inbox = new Inbox<Received>();
  /** Resolves with the disconnect reason (`io server disconnect`, `transport close`, ...). */
  readonly disconnected: Promise<string>;

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: unknown) => this.inbox.push({ event, data }));
    this.disconnected = new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
  }

  get received(): readonly Received[] {
    return this.inbox.items;
  }

  /** Connects; rejects with ConnectRefused (`message`, `data`) on connect_error. */
  static connect(base: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<SioClient> {
    const socket = io(base, { reconnection: false, forceNew: true, timeout: WAIT_MS, ...options });
    const client = new SioClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        socket.close();
        reject(new ConnectRefused(err.message, err.data));
      });
    });
  }

  /** The engine's current transport: `polling` or `websocket`. */
  get transport(): string {
    return this.socket.io.engine.transport.name;
  }

  /** Resolves once the engine runs on websocket (at once, or after its upgrade). */
  upgraded(): Promise<void> {
    if (this.transport === 'websocket') return Promise.resolve();
    return new Promise((resolve) => this.socket.io.engine.once('upgrade', () => resolve()));
  }

  emit(event: string, data?: unknown): void {
    if (data === undefined) this.socket.emit(event);
    else this.socket.emit(event, data);
  }

  /** Emits with an acknowledgement callback and resolves with what the ack received. */
  call(event: string, data?: unknown): Promise<any> {
    const timed = this.socket.timeout(WAIT_MS);
    return data === undefined ? timed.emitWithAck(event) : timed.emitWithAck(event, data);
  }

  next(event: string, match: (data: any) => boolean = () => true): Promise<Received> {
    return this.inbox.next((r) => r.event === event && match(r.data));
  }

  close(): void {
    this.socket.close();
  }
}

export interface PythonLine {
  kind: 'connected' | 'event' | 'ack' | 'transport' | 'disconnected' | 'exited' | 'error';
  event?: string;
  data?: any;
  ref?: string;
  transport?: string;
  message?: string;
}

const PYTHON_SCRIPT = fileURLToPath(new URL('./python_client.py', import.meta.url));

/** The Python that has Debian's socketio module (the distribution's, not a pyenv shim's), if any. */
export function findPython(): string | undefined {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import socketio, websocket'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** python_client.py as a child process: commands on stdin, reports read from stdout. */
export class PythonClient {
  private readonly inbox = new Inbox<PythonLine>();
  private stderr = '';
  readonly exited: Promise<number | string>;

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line !== '') this.inbox.push(JSON.parse(line) as PythonLine);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  static start(python: string, base: string): PythonClient {
    const child = spawn(python, [PYTHON_SCRIPT, base], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', PYTHONUNBUFFERED: '1' } });
    return new PythonClient(child);
  }

  get errors(): string {
    return this.stderr;
  }

  send(command: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Emits with an acknowledgement; resolves with the ack's data. */
  async call(event: string, data?: unknown): Promise<any> {
    const ref = `${event}-${Math.random().toString(36).slice(2)}`;
    this.send({ call: event, data, ref });
    const line = await this.inbox.next((l) => (l.kind === 'ack' || l.kind === 'error') && l.ref === ref);
    if (line.kind === 'error') throw new Error(`python client: ${line.message}`);
    return line.data;
  }

  next(kind: PythonLine['kind'], match: (line: PythonLine) => boolean = () => true): Promise<PythonLine> {
    return this.inbox.next((l) => l.kind === kind && match(l));
  }

  nextEvent(event: string, match: (data: any) => boolean = () => true): Promise<PythonLine> {
    return this.next('event', (l) => l.event === event && match(l.data));
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}
