// The event union: every fact Beacon records, past-tense, as a discriminated union on
// `type`. Each event's data is what was true at the time; projections derive the rest.

export type RevocationReason = 'logout' | 'superseded' | 'expired-cleanup' | 'admin';

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
  | { type: 'LoginSucceeded'; data: { userId: number; username: string; jti: string; iat: number; exp: number; address: string } }
  | { type: 'LoginFailed'; data: { username: string; userId: number | null; address: string; reason: 'unknown_user' | 'bad_password' } }
  | { type: 'LoggedOut'; data: { userId: number; jti: string } }
  | { type: 'TokenRevoked'; data: { userId: number; jti: string; exp: number; reason: RevocationReason } }
  | { type: 'ConnectionAuthenticated'; data: { sid: string; userId: number; username: string; jti: string; transport: string } }
  | { type: 'ConnectionClosed'; data: { sid: string; userId: number | null; code: number; reason: string } }
  | { type: 'ServerStarted'; data: { pid: number; version: string } };

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
]);

/** The stream an event belongs to: one per user, one per connection, one for the server. */
export function streamOf(event: BeaconEvent): string {
  switch (event.type) {
    case 'UserRegistered':
    case 'PasswordRehashed':
    case 'LoginSucceeded':
    case 'LoggedOut':
    case 'TokenRevoked':
      return `user-${event.data.userId}`;
    case 'LoginFailed':
      return event.data.userId === null ? 'login-unknown' : `user-${event.data.userId}`;
    case 'ConnectionAuthenticated':
    case 'ConnectionClosed':
      return `connection-${event.data.sid}`;
    case 'ServerStarted':
      return 'server';
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}
