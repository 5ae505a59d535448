// One live connection as the inspection endpoint shows it: a plain snapshot of the
// actor's state and session, with its age on the hub's clock.

import type { ConnectionActor } from './connectionHandle.js';
import type { ConnectionPort } from './ports.js';

export interface ConnectionSummary {
  sid: string;
  state: string;
  username: string | null;
  userId: number | null;
  connectedAt: number;
  ageMs: number;
  transport: ConnectionPort['transport'];
  remoteAddress: string;
  /** The channels the connection is subscribed to (or subscribing), sorted. */
  channels: string[];
}

export function summarize(actor: ConnectionActor, now: number): ConnectionSummary {
  const { value, context } = actor.getSnapshot();
  return {
    sid: context.sid,
    state: String(value),
    username: context.session?.username ?? null,
    userId: context.session?.userId ?? null,
    connectedAt: context.connectedAt,
    ageMs: now - context.connectedAt,
    transport: context.port.transport,
    remoteAddress: context.port.remoteAddress,
    channels: [...context.channels].sort(),
  };
}
