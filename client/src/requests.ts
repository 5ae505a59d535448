// Requests in flight: each gets the next id, and the frame that comes back with that id
// settles it (a `response` {ok: false} rejects). A request not answered in time rejects
// with `timeout`; every one still open when the socket closes rejects with `disconnected`.

import { BeaconError } from './errors.js';
import type { Timers } from './host.js';

interface Pending {
  event: string;
  resolve(data: unknown): void;
  reject(error: BeaconError): void;
  timer: unknown;
}

export class Requests {
  #nextId = 1;
  readonly #open = new Map<number, Pending>();

  constructor(private readonly timers: Timers) {}

  /** Registers a request and returns its id and its answer. */
  start(event: string, timeoutMs: number): { id: number; answer: Promise<unknown> } {
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.#open.delete(id);
        reject(new BeaconError('timeout', `${event}: no answer within ${timeoutMs} ms`, event));
      }, timeoutMs);
      this.#open.set(id, { event, resolve, reject, timer });
    });
    return { id, answer };
  }

  /** The event a request in flight was sent as, or undefined. */
  eventOf(id: number): string | undefined {
    return this.#open.get(id)?.event;
  }

  /** Settles request `id` with the frame that answered it; false when none was waiting. */
  settle(id: number, event: string, data: unknown): boolean {
    const pending = this.take(id);
    if (pending === undefined) return false;
    const refusal = event === 'response' ? (data as { ok?: unknown; code?: string; message?: string } | null) : null;
    if (refusal?.ok === false) pending.reject(new BeaconError(refusal.code as BeaconError['code'], refusal.message ?? refusal.code ?? '', pending.event));
    else pending.resolve(data);
    return true;
  }

  /** Ends request `id` with `data` (or as refused with `error`) without a frame of its own. */
  finish(id: number, data?: unknown, error?: BeaconError): void {
    const pending = this.take(id);
    if (error === undefined) pending?.resolve(data);
    else pending?.reject(error);
  }

  /** Rejects every request in flight (the socket is gone). */
  failAll(code: 'disconnected' | 'closed', message: string): void {
    for (const id of [...this.#open.keys()]) this.take(id)?.reject(new BeaconError(code, message));
  }

  private take(id: number): Pending | undefined {
    const pending = this.#open.get(id);
    if (pending === undefined) return undefined;
    this.#open.delete(id);
    this.timers.clearTimeout(pending.timer);
    return pending;
  }
}
