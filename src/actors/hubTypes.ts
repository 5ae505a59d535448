// What the hub is given (HubDeps) and what it offers (Hub): the actor layer's face towards
// the wiring in src/app, the transports and the admin API. The implementation is hub.ts.

import type { Clock } from '../clock.js';
import type { BeaconEvent, RecordedEvent } from '../events/index.js';
import type { Bus } from '../ports/index.js';
import type { Session, TokenVerifier } from '../auth/session.js';
import type { ConnectionHandle } from './connectionHandle.js';
import type { ConnectionPort } from './ports.js';
import type { Timers } from './presenceFeed.js';
import type { OnlineUserView } from './presence.js';
import type { ChannelService } from '../channels/index.js';
import type { ConnectionSummary } from './summary.js';
import type { TransitionRecord } from './transitions.js';

export interface HubLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Who is registered, by name: directed messages reach any registered user, on any node. */
export interface UserDirectory {
  idOf(username: string): number | undefined;
}

export interface HubDeps {
  /**
   * Presence transitions, broadcasts and directed messages go out here; the hub hears
   * presence (for its feed) and deliveries to users (for its actors) back from it.
   */
  bus: Bus;
  users: UserDirectory;
  /** The audit trail, fire-and-forget; the log group-commits and calls `onCommitted` afterwards. */
  append(events: BeaconEvent[]): void;
  verifier: TokenVerifier;
  clock: Clock;
  authTimeoutMs: number;
  logger: HubLogger;
  presenceWindowMs?: number;
  /** Timers for actor delays and presence windows; default the global ones (tests: SimulatedClock). */
  timers?: Timers;
  /** Keep each connection's recent transitions for the inspector (costs XState's inspection). */
  recordTransitions?: boolean;
  /** Channels; without them every channel request is answered `unavailable`. */
  channels?: ChannelService;
  /** A refreshed token's connections may keep it this long; default REFRESH_GRACE_SECONDS (tests: shorter). */
  refreshGraceMs?: number;
}

export interface Hub {
  open(port: ConnectionPort, opts: { sid: string; session?: Session }): ConnectionHandle;
  onCommitted(events: readonly RecordedEvent[]): void;
  snapshot(): ConnectionSummary[];
  /** The user's authenticated connections on this node. */
  sessionsOf(userId: number): number;
  /** A live connection's recent transitions, oldest first ([] when not recorded). */
  transitionsOf(sid: string): TransitionRecord[];
  /** Ends a user's local subscriptions with `unsubscribed` {channel, reason} (admin: account_disabled); how many. */
  endSubscriptions(userId: number, reason: string): number;
  /**
   * Fences this node (a cluster node that cannot follow the log may miss a revocation):
   * authenticated connections close with 1013 node_unavailable and new ones are refused,
   * until fence(false).
   */
  fence(on: boolean): void;
  readonly fenced: boolean;
  /**
   * Waits for room in this turn's session setups (setupLane.ts): a socket whose token was
   * verified at upgrade passes here before it is upgraded, as register_user's does inside.
   */
  setupTurn(): Promise<void>;
  /** Presence as the bus reported it: for `GET /users` and metrics. */
  presence(): { users: OnlineUserView[]; count: number; connections: number };
  shutdown(): Promise<void>;
  readonly size: number;
}
