// Keeps the projection tables (users, revoked_tokens, active_tokens), a cache of the folds
// for operators and tools, in step with the log: `apply` runs inside the append's
// transaction; at open the store `clear`s them and re-applies the log from position 0.

import type { Db } from './db.js';
import type { BeaconEvent } from '../events/index.js';

export interface ProjectionTables {
  apply(event: BeaconEvent): void;
  /** Deletes revoked-token rows whose token has expired; returns how many. */
  pruneRevoked(nowSeconds: number): number;
  clear(): void;
}

export function projectionTables(db: Db): ProjectionTables {
  const insertUser = db.prepare(
    'INSERT INTO users (user_id, username, password_hash, registered_at) VALUES (?, ?, ?, ?)',
  );
  const rehash = db.prepare('UPDATE users SET password_hash = ? WHERE user_id = ?');
  const setActive = db.prepare(
    'INSERT INTO active_tokens (user_id, jti, exp) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET jti = excluded.jti, exp = excluded.exp',
  );
  const clearActive = db.prepare('DELETE FROM active_tokens WHERE user_id = ? AND jti = ?');
  const revoke = db.prepare('INSERT OR REPLACE INTO revoked_tokens (jti, user_id, exp, reason) VALUES (?, ?, ?, ?)');
  const prune = db.prepare('DELETE FROM revoked_tokens WHERE exp <= ?');

  return {
    apply(event) {
      switch (event.type) {
        case 'UserRegistered':
          insertUser.run(event.data.userId, event.data.username, event.data.passwordHash, event.data.registeredAt);
          return;
        case 'PasswordRehashed':
          rehash.run(event.data.passwordHash, event.data.userId);
          return;
        case 'LoginSucceeded':
          setActive.run(event.data.userId, event.data.jti, event.data.exp);
          return;
        case 'TokenRevoked':
          revoke.run(event.data.jti, event.data.userId, event.data.exp, event.data.reason);
          clearActive.run(event.data.userId, event.data.jti);
          return;
        case 'ChannelMemberAdded':
        case 'ChannelMemberRemoved':
        case 'LoginFailed':
        case 'LoggedOut':
        case 'ConnectionAuthenticated':
        case 'ConnectionClosed':
        case 'ServerStarted':
        case 'UserDisabled':
        case 'UserEnabled':
        case 'UserKicked':
        case 'AdminPublished':
          return;
        default: {
          const unreachable: never = event;
          throw new Error(`unhandled event ${JSON.stringify(unreachable)}`);
        }
      }
    },
    pruneRevoked(nowSeconds) {
      return prune.run(nowSeconds).changes;
    },
    clear() {
      db.exec('DELETE FROM users; DELETE FROM revoked_tokens; DELETE FROM active_tokens;');
    },
  };
}
