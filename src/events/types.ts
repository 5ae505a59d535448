// The event union: every fact Beacon records, past-tense, as a discriminated union on
// `type`. Each event's data is what was true at the time; projections derive the rest.

/**
 * Why a token was revoked. `refreshed`: `POST /refresh-token` replaced it with a new token of
 * the same user; its live connections get a grace period to present the new one.
 */
export type RevocationReason = 'logout' | 'superseded' | 'expired-cleanup' | 'admin' | 'refreshed';

/**
 * Who changed a channel membership: the admin API (by the fingerprint of the key it was
 * called with, never the key), a command-line tool, or Beacon itself. Null: not recorded
 * (test fixtures).
 */
export type MembershipActor = { actor: 'admin' | 'cli' | 'system'; fingerprint?: string } | null;
/** Who made an operator's change: always known for the admin API's own events. */
export type AuditActor = NonNullable<MembershipActor>;

/** What every admin action records beside its target: who did it and from where. */
export interface AuditData {
  by: AuditActor;
  /** The admin API client's address. */
  address: string;
}

export interface ChannelMembershipData {
  /** The full channel name, `<namespace>:<rest>`, of a `members` namespace. */
  channel: string;
  userId: number;
  /** The username at the time, for audit listings; the userId is what counts. */
  username?: string;
  by: MembershipActor;
  /** Address the change was requested from (admin API client), for the audit trail. */
  address?: string;
}

export type BeaconEvent =
  | {
      type: 'UserRegistered';
      data: {
        userId: number;
        username: string;
        /** PHC string (argon2id) or an imported legacy hash (Werkzeug format). */
        passwordHash: string;
        registeredAt: number;
        /** Set when the user came from the old application's database. */
        importedFrom?: string;
      };
    }
  | { type: 'PasswordRehashed'; data: { userId: number; passwordHash: string } }
  | {
      type: 'LoginSucceeded';
      /**
       * A token was issued. `refreshedFrom`: issued by `POST /refresh-token` in exchange for
       * that token (no password was given), not by a password login.
       */
      data: { userId: number; username: string; jti: string; iat: number; exp: number; address: string; refreshedFrom?: string };
    }
  | { type: 'LoginFailed'; data: { username: string; userId: number | null; address: string; reason: 'unknown_user' | 'bad_password' } }
  | { type: 'LoggedOut'; data: { userId: number; jti: string } }
  | {
      type: 'TokenRevoked';
      /** `by` and `address` are set when an operator revoked it (reason 'admin'). */
      data: { userId: number; jti: string; exp: number; reason: RevocationReason; by?: AuditActor; address?: string };
    }
  | { type: 'ConnectionAuthenticated'; data: { sid: string; userId: number; username: string; jti: string; transport: string } }
  | { type: 'ConnectionClosed'; data: { sid: string; userId: number | null; code: number; reason: string } }
  | { type: 'ServerStarted'; data: { pid: number; version: string } }
  | { type: 'ChannelMemberAdded'; data: ChannelMembershipData }
  | { type: 'ChannelMemberRemoved'; data: ChannelMembershipData }
  /** The account may not log in or stay connected until UserEnabled. */
  | { type: 'UserDisabled'; data: { userId: number; username: string } & AuditData }
  | { type: 'UserEnabled'; data: { userId: number; username: string } & AuditData }
  /** An operator closed the user's live connections (4005); their token stays valid. */
  | { type: 'UserKicked'; data: { userId: number; username: string; reason?: string } & AuditData }
  /**
   * The admin API published to a channel as the server. `data` is kept only when small
   * (the channel's history holds the publication itself); `bytes` is its JSON size.
   */
  | { type: 'AdminPublished'; data: { channel: string; offset: number; bytes: number; data?: unknown } & AuditData };

export type BeaconEventType = BeaconEvent['type'];
export type EventOf<T extends BeaconEventType> = Extract<BeaconEvent, { type: T }>;

/** An event as stored: the event plus where and when it landed in the log. */
export type RecordedEvent = BeaconEvent & {
  /** Global position in the log, 1-based, gap-free. */
  position: number;
  stream: string;
  streamPosition: number;
  /** Epoch milliseconds. */
  recordedAt: number;
};

/** Events whose loss in a crash would break a promise made over HTTP: fsynced before the answer. */
export const DURABLE_EVENT_TYPES: ReadonlySet<BeaconEventType> = new Set([
  'UserRegistered',
  'PasswordRehashed',
  'LoginSucceeded',
  'LoggedOut',
  'TokenRevoked',
  // A removal ends live subscriptions and a grant is answered to the admin: neither may be
  // forgotten by a crash after the answer.
  'ChannelMemberAdded',
  'ChannelMemberRemoved',
  // Admin actions are answered only once their audit record is on disk.
  'UserDisabled',
  'UserEnabled',
  'UserKicked',
  'AdminPublished',
]);

/** The stream an event belongs to: one per user, per connection, per channel, one for the server. */
export function streamOf(event: BeaconEvent): string {
  switch (event.type) {
    case 'UserRegistered':
    case 'PasswordRehashed':
    case 'LoginSucceeded':
    case 'LoggedOut':
    case 'TokenRevoked':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'UserKicked':
      return `user-${event.data.userId}`;
    case 'LoginFailed':
      return event.data.userId === null ? 'login-unknown' : `user-${event.data.userId}`;
    case 'ConnectionAuthenticated':
    case 'ConnectionClosed':
      return `connection-${event.data.sid}`;
    case 'ServerStarted':
      return 'server';
    case 'ChannelMemberAdded':
    case 'ChannelMemberRemoved':
    case 'AdminPublished':
      return `channel-${event.data.channel}`;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}
