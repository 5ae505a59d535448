// Keeps the presence fold current from the bus's presence transitions (the same facts
// the log's audit trail records) and turns its changes into `user_status` / `user_count`
// broadcasts, coalesced over a short window so a storm of N connects costs O(N) publishes
// rather than N² (each publish reaches every subscriber).

import type { BeaconEvent } from '../events/index.js';
import type { Broadcaster } from './ports.js';
import { countConnections, countUsers, evolve, initial, isOnline, listOnline } from './presence.js';
import type { OnlineUserView, PresenceState } from './presence.js';

/** Presence broadcasts wait this long for more changes before going out ... */
export const PRESENCE_WINDOW_MS = 25;
/**
 * ... or longer with a large audience: each window's `user_count` reaches every
 * connection, so the window grows to keep those deliveries near this rate, up to the cap.
 * A single frame to many sockets costs one send each (~10 µs on loopback, estimated from the
 * bench's connect storm), so 25,000 a second is about a quarter of a core at most; at
 * 100,000 a storm of 15,000 connects opened at ~700/s with the server core saturated
 * (at 25,000 and sliced publishes: ~930/s).
 */
export const PRESENCE_DELIVERIES_PER_SECOND = 25_000;
export const PRESENCE_WINDOW_MAX_MS = 1_000;

/** The coalescing window for an audience of `connections`. */
export function presenceWindowMs(baseMs: number, connections: number): number {
  return Math.min(PRESENCE_WINDOW_MAX_MS, Math.max(baseMs, Math.ceil((connections * 1000) / PRESENCE_DELIVERIES_PER_SECOND)));
}

/** Timer source (xstate's Clock shape), so tests can drive windows with a SimulatedClock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PresenceFeed {
  /** Folds a presence transition (other events are ignored); schedules a broadcast when presence moved. */
  apply(event: BeaconEvent): void;
  /** Sends the pending broadcasts now (also what the window timer does). */
  flush(): void;
  /** Drops any pending broadcast and sends no more (server shutting down). */
  stop(): void;
  readonly state: PresenceState;
  view(): { users: OnlineUserView[]; count: number; connections: number };
}

export function createPresenceFeed(opts: {
  broadcaster: Broadcaster;
  topic: string;
  timers: Timers;
  windowMs?: number;
}): PresenceFeed {
  const { broadcaster, topic, timers } = opts;
  const windowMs = opts.windowMs ?? PRESENCE_WINDOW_MS;
  let state = initial();
  /** Users touched in this window: whether they were online when the window opened, and a name to announce. */
  const touched = new Map<number, { wasOnline: boolean; username: string }>();
  let moved = false;
  let timer: unknown = undefined;
  /** After stop() the fold stays current but nothing is broadcast any more. */
  let halted = false;

  function touch(userId: number, username: string): void {
    if (halted) return;
    if (!touched.has(userId)) touched.set(userId, { wasOnline: isOnline(state, userId), username });
    moved = true;
    if (timer === undefined) timer = timers.setTimeout(flush, presenceWindowMs(windowMs, countConnections(state)));
  }

  function flush(): void {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
    if (!moved) return;
    for (const [userId, before] of touched) {
      const now = state.users.get(userId);
      // Online and offline again inside one window is no net change: nothing to announce.
      if ((now !== undefined) === before.wasOnline) continue;
      broadcaster.publish(topic, 'user_status', {
        username: now?.username ?? before.username,
        user_id: userId,
        status: now === undefined ? 'offline' : 'online',
      });
    }
    touched.clear();
    moved = false;
    broadcaster.publish(topic, 'user_count', { count: countUsers(state), connections: countConnections(state) });
  }

  return {
    apply(event) {
      switch (event.type) {
        case 'ConnectionAuthenticated':
          touch(event.data.userId, event.data.username);
          break;
        case 'ConnectionClosed': {
          const userId = state.sids.get(event.data.sid);
          const user = userId === undefined ? undefined : state.users.get(userId);
          if (user !== undefined) touch(user.userId, user.username);
          break;
        }
        case 'ServerStarted':
          for (const user of state.users.values()) touch(user.userId, user.username);
          break;
        default:
          break;
      }
      state = evolve(state, event);
    },
    flush,
    stop() {
      halted = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      touched.clear();
      moved = false;
    },
    get state() {
      return state;
    },
    view() {
      return { users: listOnline(state), count: countUsers(state), connections: countConnections(state) };
    },
  };
}
