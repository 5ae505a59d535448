// Reference-counted pub/sub subscriptions of one node: a channel is subscribed while the
// node has at least one local listener for it and unsubscribed when the last one goes, so
// a node hears only the topics and users it serves. A publish from this node to a channel
// it is still subscribing to waits for the subscription, or its own listeners would miss it.

import type { Redis } from 'ioredis';
import type { RedisLogger } from './connection.js';

export interface Subscriptions {
  /** Both settle once Redis has the change (a failure is logged, never thrown). */
  acquire(channel: string): Promise<void>;
  release(channel: string): Promise<void>;
  /** Settles once the latest subscribe of `channel` is in place; undefined when none is pending. */
  pending(channel: string): Promise<void> | undefined;
  has(channel: string): boolean;
  readonly size: number;
}

export function createSubscriptions(sub: Redis, logger: RedisLogger): Subscriptions {
  const counts = new Map<string, number>();
  const pending = new Map<string, Promise<void>>();

  return {
    acquire(channel) {
      const n = counts.get(channel) ?? 0;
      counts.set(channel, n + 1);
      if (n > 0) return pending.get(channel) ?? Promise.resolve();
      // Commands on the subscriber run in order, so a quick release / acquire ends subscribed.
      const done: Promise<void> = sub.subscribe(channel).then(
        () => {
          if (pending.get(channel) === done) pending.delete(channel);
        },
        (err: unknown) => {
          if (pending.get(channel) === done) pending.delete(channel);
          logger.warn({ err, channel }, 'redis subscribe failed');
        },
      );
      pending.set(channel, done);
      return done;
    },
    release(channel) {
      const n = counts.get(channel) ?? 0;
      if (n > 1) {
        counts.set(channel, n - 1);
        return Promise.resolve();
      }
      if (n === 0) return Promise.resolve();
      counts.delete(channel);
      pending.delete(channel);
      return sub.unsubscribe(channel).then(
        () => undefined,
        (err: unknown) => logger.warn({ err, channel }, 'redis unsubscribe failed'),
      );
    },
    pending: (channel) => pending.get(channel),
    has: (channel) => counts.has(channel),
    get size() {
      return counts.size;
    },
  };
}
