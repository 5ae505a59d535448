// The channels the application subscribed to, and the last {offset, epoch} seen on each:
// what a resubscription asks to recover `since`, and what keeps every publication from
// being delivered twice (a recovered one that also came live, a replay after a reconnect).

import type { Publication, StreamPosition, SubscribedData } from '../../src/protocol/index.js';

export interface Subscription {
  readonly channel: string;
  /** The last publication seen (or the channel's head when subscribed); undefined before the first answer. */
  position: StreamPosition | undefined;
  /** Subscribed on the current connection (the server answered `subscribed`). */
  live: boolean;
  /** What the `subscribe` in flight asked to recover from, if anything. */
  since: StreamPosition | undefined;
  /** The `subscribe` in flight: a second subscribe() waits for it (the server refuses two at once). */
  pending: Promise<unknown> | undefined;
}

export class Subscriptions {
  readonly #subs = new Map<string, Subscription>();

  get(channel: string): Subscription | undefined {
    return this.#subs.get(channel);
  }

  add(channel: string): Subscription {
    let sub = this.#subs.get(channel);
    if (sub === undefined) this.#subs.set(channel, (sub = { channel, position: undefined, live: false, since: undefined, pending: undefined }));
    return sub;
  }

  remove(channel: string): void {
    this.#subs.delete(channel);
  }

  all(): Subscription[] {
    return [...this.#subs.values()];
  }

  /** The connection is gone: nothing is subscribed on the server any more. */
  offline(): void {
    for (const sub of this.#subs.values()) sub.live = false;
  }

  /** Whether `pub` is new on its channel; if so the position moves to it. */
  accept(sub: Subscription, pub: Publication): boolean {
    const at = sub.position;
    if (at !== undefined && pub.epoch === at.epoch && pub.offset <= at.offset) return false;
    sub.position = { offset: pub.offset, epoch: pub.epoch };
    return true;
  }

  /**
   * Applies a `subscribed` answer: the recovered publications not seen yet, in order, and
   * the position at the channel's head. Without recovery the position restarts there.
   */
  subscribed(sub: Subscription, answer: SubscribedData): Publication[] {
    const fresh = answer.recovered ? answer.publications.filter((pub) => this.accept(sub, pub)) : [];
    const at = sub.position;
    const same = answer.recovered && at !== undefined && at.epoch === answer.epoch;
    sub.position = { offset: same ? Math.max(at.offset, answer.offset) : answer.offset, epoch: answer.epoch };
    sub.live = true;
    sub.since = undefined;
    return fresh;
  }
}
