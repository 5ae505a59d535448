// What the admin API needs from the rest of the server, as small interfaces: the users it
// acts on, the event log it records to and pages through, the live connections (AdminHub)
// and the channels. The wiring binds them; tests can bind them to anything real.

import type { BeaconEvent, RecordedEvent } from '../events/types.js';

export interface AdminUser {
  readonly userId: number;
  readonly username: string;
  readonly disabled?: true;
}

export interface AdminUsers {
  byName(username: string): AdminUser | undefined;
  /** The user's one active token, if any. */
  activeToken(userId: number): { jti: string; exp: number } | undefined;
}

export interface AdminLog {
  /** Resolves once committed: the admin answers only after its audit record is durable. */
  append(events: readonly BeaconEvent[]): Promise<readonly RecordedEvent[]>;
  read(afterPosition: number, limit: number): Promise<readonly RecordedEvent[]> | readonly RecordedEvent[];
  lastPosition(): number;
  /**
   * Reads what other nodes committed up to the head (a cluster): before "unknown user", and
   * before deciding against a user's tokens, which another node may have just changed.
   */
  catchUp(): Promise<void>;
}

/** One live connection, as GET /admin/connections shows it. */
export interface AdminConnection {
  sid: string;
  username: string | null;
  user_id: number | null;
  node: string;
  transport: string;
  remote_address: string;
  connected_at: number;
  state: string;
  channels: string[];
}

export interface AdminHub {
  /** Live connections, all of them or one user's. */
  connections(filter: { userId?: number }): AdminConnection[];
  /**
   * How many authenticated connections the user has (across nodes where presence knows):
   * what a kick is about to close. The closing itself follows the committed UserKicked on
   * every node, like a revocation, so no node misses it.
   */
  sessionsOf(userId: number): number;
}

export interface ChannelSummary {
  channel: string;
  subscribers: number;
  users: number;
}

/** The channel service's operator side (publish as the server, and what is live). */
export interface AdminChannels {
  publish(channel: string, data: unknown, from: null): Promise<{ channel: string; offset: number }> | { channel: string; offset: number };
  list(): Promise<ChannelSummary[]> | ChannelSummary[];
  presence(channel: string): Promise<unknown> | unknown;
  history(channel: string, limit: number): Promise<unknown> | unknown;
}

/** Admin actions by kind, for the metrics counter. */
export type AdminActionKind = 'disconnect' | 'revoke' | 'disable' | 'enable' | 'publish' | 'grant' | 'remove';
