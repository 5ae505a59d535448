// The in-process Bus: one node, so every message goes straight to this node's listeners
// (the transports' broadcaster, the hub's actors, the presence feed), synchronously and
// in the order sent. A Redis binding would be a sibling file implementing the same port.

import type { Bus, BusListener } from '../ports/index.js';

export interface InProcessBusOptions {
  /** A listener that threw; the others still hear the message. */
  onError?: (err: unknown) => void;
}

export function createInProcessBus(options: InProcessBusOptions = {}): Bus {
  const listeners = new Set<BusListener>();
  const each = (fn: (l: BusListener) => void): void => {
    for (const listener of listeners) {
      try {
        fn(listener);
      } catch (err) {
        options.onError?.(err);
      }
    }
  };
  const toTopic = (topic: string, event: string, data: unknown): void => each((l) => l.topic?.(topic, event, data));
  return {
    connectionUp: (change) => each((l) => l.presence?.(change)),
    connectionDown: (change) => each((l) => l.presence?.(change)),
    publish: toTopic,
    announce: toTopic,
    deliver: (userIds, event, data) => each((l) => l.users?.(userIds, event, data)),
    publishChannel: (publication) => each((l) => l.publication?.(publication)),
    subscriptionChanged: (change) => each((l) => l.subscription?.(change)),
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
