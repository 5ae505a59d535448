// Versioned serialisation of events: each type has a current schema version; rows written
// under an older version are upcast step by step on read, so old logs stay readable.

import type { BeaconEvent, BeaconEventType } from './types.js';

/** The schema version each event type is written with today. */
export const CURRENT_VERSION: Readonly<Record<BeaconEventType, number>> = {
  UserRegistered: 1,
  PasswordRehashed: 1,
  LoginSucceeded: 1,
  LoginFailed: 1,
  LoggedOut: 1,
  TokenRevoked: 1,
  ConnectionAuthenticated: 1,
  ConnectionClosed: 1,
  ServerStarted: 1,
  ChannelMemberAdded: 1,
  ChannelMemberRemoved: 1,
  UserDisabled: 1,
  UserEnabled: 1,
  UserKicked: 1,
  AdminPublished: 1,
};

/** `UPCASTERS[type][v]` turns version v data into version v + 1 data. */
export type Upcasters = Partial<Record<BeaconEventType, Record<number, (data: Record<string, unknown>) => Record<string, unknown>>>>;

/** No type has changed shape yet; the first change adds its step here. */
export const UPCASTERS: Upcasters = {};

export interface SerializedEvent {
  type: BeaconEventType;
  version: number;
  data: string;
}

export function serialize(event: BeaconEvent): SerializedEvent {
  return { type: event.type, version: CURRENT_VERSION[event.type], data: JSON.stringify(event.data) };
}

export class UnknownEventError extends Error {}

export function deserialize(type: string, version: number, json: string, upcasters: Upcasters = UPCASTERS): BeaconEvent {
  if (!Object.hasOwn(CURRENT_VERSION, type)) throw new UnknownEventError(`unknown event type ${type}`);
  const known = type as BeaconEventType;
  const target = CURRENT_VERSION[known];
  if (version > target) throw new UnknownEventError(`${type} v${version} is newer than this server (v${target})`);
  let data = JSON.parse(json) as Record<string, unknown>;
  for (let v = version; v < target; v++) {
    const step = upcasters[known]?.[v];
    if (step === undefined) throw new UnknownEventError(`no upcaster for ${type} v${v}`);
    data = step(data);
  }
  return { type: known, data } as BeaconEvent;
}
