// A short ring of recent state changes per live connection, for the inspector: which state
// a connection moved to, from where, on which event and when. Fed by XState's inspection
// API at the actor pool's shard parents, so the machine itself knows nothing of it.

import type { InspectionEvent } from 'xstate';
import type { Clock } from '../clock.js';

/** Transitions kept per connection: enough to see how it got where it is. */
export const TRANSITIONS_KEPT = 20;

export interface TransitionRecord {
  at: number;
  from: string | null;
  to: string;
  event: string;
}

export interface TransitionLog {
  /** The inspection observer to hand to the actor pool. */
  observe(event: InspectionEvent): void;
  /** Oldest first. */
  of(sid: string): TransitionRecord[];
  forget(sid: string): void;
}

export function createTransitionLog(clock: Clock, kept = TRANSITIONS_KEPT): TransitionLog {
  const rings = new Map<string, { state: string; list: TransitionRecord[] }>();
  return {
    observe(ev) {
      if (ev.type !== '@xstate.snapshot') return;
      const value = (ev.snapshot as { value?: unknown }).value;
      if (typeof value !== 'string') return;
      const sid = (ev.actorRef as { id?: unknown }).id;
      if (typeof sid !== 'string') return;
      const ring = rings.get(sid);
      if (ring !== undefined && ring.state === value) return;
      const record = { at: clock.now(), from: ring?.state ?? null, to: value, event: ev.event.type };
      if (ring === undefined) {
        rings.set(sid, { state: value, list: [record] });
        return;
      }
      ring.state = value;
      ring.list.push(record);
      if (ring.list.length > kept) ring.list.shift();
    },
    of: (sid) => [...(rings.get(sid)?.list ?? [])],
    forget: (sid) => void rings.delete(sid),
  };
}
