// What the presence scripts write and publish, parsed where it enters a node: the
// ConnectionAuthenticated data stored per sid, and the published change with its order
// number. A node drops (and logs) anything else rather than folding a malformed fact.

import { z } from 'zod';
import type { EventOf } from '../../events/index.js';
import type { PresenceChange } from '../../ports/index.js';

const Authenticated = z.strictObject({
  sid: z.string(),
  userId: z.number().int(),
  username: z.string(),
  jti: z.string(),
  transport: z.string(),
});

const Closed = z.strictObject({
  sid: z.string(),
  userId: z.number().int().nullable(),
  code: z.number().int(),
  reason: z.string(),
});

const Change = z.union([
  z.strictObject({ type: z.literal('ConnectionAuthenticated'), data: Authenticated }),
  z.strictObject({ type: z.literal('ConnectionClosed'), data: Closed }),
]);

const Published = z.strictObject({
  /** Order of the message among all presence messages since this Redis started. */
  s: z.number().int(),
  /** The node the connections belong to. */
  n: z.string(),
  /** The changes, in order: [1 when it took the user from 0 to 1 or 1 to 0 connections cluster-wide, else 0, the change]. */
  c: z.array(z.tuple([z.union([z.literal(0), z.literal(1)]), Change])),
});

export interface PublishedChanges {
  readonly seq: number;
  readonly node: string;
  readonly changes: ReadonlyArray<{ readonly transition: boolean; readonly change: PresenceChange }>;
}

export function parsePublished(raw: string): PublishedChanges | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = Published.safeParse(json);
  if (!parsed.success) return undefined;
  const { s, n, c } = parsed.data;
  return { seq: s, node: n, changes: c.map(([t, change]) => ({ transition: t === 1, change })) };
}

/** A stored per-sid value back into the event it came from. */
export function parseStored(raw: string): EventOf<'ConnectionAuthenticated'> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = Authenticated.safeParse(json);
  return parsed.success ? { type: 'ConnectionAuthenticated', data: parsed.data } : undefined;
}

/** The stored form: exactly the event's data, so the scripts can embed it verbatim. */
export const storedOf = (up: EventOf<'ConnectionAuthenticated'>): string =>
  JSON.stringify({
    sid: up.data.sid,
    userId: up.data.userId,
    username: up.data.username,
    jti: up.data.jti,
    transport: up.data.transport,
  });

export interface Snapshot {
  readonly seq: number;
  /** Registered node -> its connections. */
  readonly nodes: ReadonlyMap<string, readonly EventOf<'ConnectionAuthenticated'>[]>;
}

/** The snapshot script's reply; entries that do not parse are reported through `onBad`. */
export function parseSnapshot(reply: unknown, onBad: (raw: unknown) => void): Snapshot {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw new Error('presence snapshot: unexpected reply');
  const nodes = new Map<string, EventOf<'ConnectionAuthenticated'>[]>();
  for (let i = 1; i + 1 < reply.length; i += 2) {
    const node: unknown = reply[i];
    const flat: unknown = reply[i + 1];
    if (typeof node !== 'string' || !Array.isArray(flat)) {
      onBad(node);
      continue;
    }
    const ups: EventOf<'ConnectionAuthenticated'>[] = [];
    for (let j = 1; j < flat.length; j += 2) {
      const raw: unknown = flat[j];
      const up = typeof raw === 'string' ? parseStored(raw) : undefined;
      if (up === undefined) onBad(raw);
      else ups.push(up);
    }
    nodes.set(node, ups);
  }
  return { seq: reply[0], nodes };
}
