// The orchestrator's handle on the load-generator workers: starts them pinned to the client
// core, sends commands over IPC and matches replies by id, and fans a command out to all.

import type { Command, Reply } from '../loadgen/messages.js';
import { CLIENT_CORE, launchNode, type NodeChild } from './proc.js';

export class Workers {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(readonly children: NodeChild[]) {
    for (const w of children) {
      w.child.on('message', (msg: Reply | { ready: true }) => {
        if (!('id' in msg)) return;
        const p = this.pending.get(msg.id);
        if (p === undefined) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new Error(`worker: ${msg.error}`));
      });
      w.child.on('exit', (code) => {
        for (const p of this.pending.values()) p.reject(new Error(`worker exited (${code})\n${w.stderr()}`));
        this.pending.clear();
      });
    }
  }

  static async start(count: number): Promise<Workers> {
    const children = Array.from({ length: count }, (_, i) =>
      launchNode('bench/loadgen/worker.ts', { core: CLIENT_CORE, ipc: true, env: { BENCH_WORKER_INDEX: String(i) } }),
    );
    await Promise.all(children.map((w) => w.next('WORKER', 30_000)));
    return new Workers(children);
  }

  get size(): number {
    return this.children.length;
  }

  call<T>(index: number, command: Command): Promise<T> {
    const w = this.children[index];
    if (w === undefined) throw new Error(`no worker ${index}`);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject });
      w.child.send({ ...command, id });
    });
  }

  /** The same command (or one built per worker) to every worker at once. */
  all<T>(command: Command | ((index: number) => Command)): Promise<T[]> {
    return Promise.all(this.children.map((_, i) => this.call<T>(i, typeof command === 'function' ? command(i) : command)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((w) => w.stop()));
  }
}
