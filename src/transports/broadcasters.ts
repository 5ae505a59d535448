// The broadcasters the hub publishes through: uWS topics for /ws sockets, Socket.IO rooms
// for Socket.IO sockets, and their composition. Each serialises a broadcast once for all
// of its subscribers; topic and room names are the hub's topics.

import type { TemplatedApp } from 'uWebSockets.js';
import type { Broadcaster } from '../actors/ports.js';
import type { SocketIoServer } from './socketio.js';
import { createWideTopic, WIDE_TOPICS, type WideTopic } from './wideTopics.js';

/**
 * Publishes one serialisation of a broadcast to every app (TLS and plain). A wide topic (one
 * every authenticated socket is in) goes through its shards, sliced over turns of the loop
 * when its audience is large (wideTopics.ts).
 */
export function uwsBroadcaster(apps: () => readonly TemplatedApp[]): Broadcaster {
  const wide = new Map<string, WideTopic>([...WIDE_TOPICS].map((t) => [t, createWideTopic(t, apps)]));
  return {
    publish(topic, event, data) {
      const sliced = wide.get(topic);
      if (sliced !== undefined) return sliced.publish(JSON.stringify({ event, data }));
      // Serialised only when some socket listens: many channels' publications have none here.
      let frame: string | undefined;
      for (const app of apps()) {
        if (app.numSubscribers(topic) === 0) continue;
        frame ??= JSON.stringify({ event, data });
        app.publish(topic, frame, false, false);
      }
    },
  };
}

/** Publishes to the Socket.IO room named like the topic: one encoding for all its sockets. */
export function socketIoBroadcaster(io: SocketIoServer): Broadcaster {
  return {
    publish(topic, event, data) {
      // The adapter encodes a packet before it looks for sockets: skip rooms no socket is in
      // (most channels' publications, when their subscribers are on /ws).
      if (!io.of('/').adapter.rooms.has(topic)) return;
      io.to(topic).emit(event, data);
    },
  };
}

/** Sends every broadcast through each transport's broadcaster (each serialises once). */
export function composeBroadcasters(...broadcasters: readonly Broadcaster[]): Broadcaster {
  return {
    publish(topic, event, data) {
      for (const b of broadcasters) b.publish(topic, event, data);
    },
  };
}
