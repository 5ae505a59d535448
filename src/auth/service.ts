// The auth service: registration, login, logout and token checks, decided against the
// store's projections and recorded as events. HTTP and WebSocket code call only this.

import type { Clock, IdSource } from '../clock.js';
import { nowSeconds } from '../clock.js';
import {
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_THROTTLE_MAX_KEYS,
  LOGIN_THROTTLE_WINDOW_SECONDS,
} from '../constants.js';
import { BeaconError } from '../errors.js';
import type { BeaconEvent } from '../events/types.js';
import { activeTokensProjection } from '../events/projections/activeTokens.js';
import { blacklistProjection } from '../events/projections/blacklist.js';
import type { UserRecord } from '../events/projections/users.js';
import type { Logger } from '../log.js';
import type { EventStore } from '../store/index.js';
import { AuthFailure, type Session, type TokenVerifier } from './session.js';
import { needsRehash, storedHashScheme, type PasswordHasher } from './passwords.js';
import { createThrottle } from './throttle.js';
import type { TokenSigner } from './tokens.js';

export interface PublicUser {
  username: string;
  user_id: number;
}

export interface LoginResult {
  token: string;
  user: PublicUser;
  expires_in: number;
}

export interface AuthService extends TokenVerifier {
  register(username: string, password: string): Promise<PublicUser>;
  login(username: string, password: string, address: string): Promise<LoginResult>;
  /**
   * Revokes a verified session's token durably; resolves once the revocation is committed.
   * Rejects with AuthFailure('token_revoked') when a concurrent login or logout got there first.
   */
  logout(session: Session): Promise<Session>;
  /** Every registered user, oldest first. */
  users(): Iterable<UserRecord>;
  /** Revokes active tokens that have expired (reason expired-cleanup) and prunes the blacklist. */
  sweep(): Promise<{ cleaned: number; pruned: number }>;
  readonly metrics: { loginsOk: number; loginsFailed: number; loginsThrottled: number };
}

export interface AuthDeps {
  store: EventStore;
  hasher: PasswordHasher;
  signer: TokenSigner;
  clock: Clock;
  ids: IdSource;
  tokenTtlSeconds: number;
  logger: Logger;
}

export function createAuthService(deps: AuthDeps): AuthService {
  const { store, hasher, signer, clock, ids, logger } = deps;
  const accountThrottle = createThrottle(
    { limit: LOGIN_FAILURES_PER_ACCOUNT, windowSeconds: LOGIN_THROTTLE_WINDOW_SECONDS },
    clock,
    LOGIN_THROTTLE_MAX_KEYS,
  );
  const addressThrottle = createThrottle(
    { limit: LOGIN_FAILURES_PER_ADDRESS, windowSeconds: LOGIN_THROTTLE_WINDOW_SECONDS },
    clock,
    LOGIN_THROTTLE_MAX_KEYS,
  );
  const metrics = { loginsOk: 0, loginsFailed: 0, loginsThrottled: 0 };
  // Names and ids promised to registrations whose hash is still being computed.
  const reservedNames = new Set<string>();
  let lastReservedId = 0;
  // Per-user queue: a login or logout decides against the commit before it, so concurrent
  // logins each revoke the token the previous one issued and exactly one stays active.
  const userQueues = new Map<number, Promise<unknown>>();

  /** Refuses a revoked token, and any token but the user's one active token (even if its revocation is still being committed). */
  const assertActive = (userId: number, jti: string): void => {
    const { blacklist, activeTokens } = store.projections();
    if (blacklistProjection.isRevoked(blacklist, jti)) throw new AuthFailure('token_revoked');
    if (activeTokens.byUser.get(userId)?.jti !== jti) throw new AuthFailure('token_revoked');
  };

  const serialised = <T>(userId: number, work: () => Promise<T>): Promise<T> => {
    const previous = userQueues.get(userId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    userQueues.set(userId, settled);
    void settled.then(() => {
      if (userQueues.get(userId) === settled) userQueues.delete(userId);
    });
    return next;
  };

  // Users imported from the Flask application keep their Werkzeug hash until they next log
  // in, the one moment the password is at hand: then it becomes argon2id. A failed rehash
  // costs nothing but a log line; the next login tries again.
  const rehashing = new Set<number>();
  const rehashIfNeeded = async (user: UserRecord, password: string): Promise<void> => {
    if (!needsRehash(user.passwordHash) || rehashing.has(user.userId)) return;
    rehashing.add(user.userId);
    const from = storedHashScheme(user.passwordHash);
    try {
      const passwordHash = await hasher.hash(password);
      await store.append([{ type: 'PasswordRehashed', data: { userId: user.userId, passwordHash } }]);
      logger.info({ userId: user.userId, from }, 'password rehashed to argon2id');
    } catch (err) {
      logger.error({ err, userId: user.userId, from }, 'password rehash failed: the old hash stays');
    } finally {
      rehashing.delete(user.userId);
    }
  };

  /** Signature, claims, expiry, blacklist and one-active-token checks; rejects with AuthFailure. */
  const verify = async (token: string): Promise<Session> => {
    const claims = await signer.verify(token);
    assertActive(claims.user_id, claims.jti);
    return { username: claims.username, userId: claims.user_id, jti: claims.jti, exp: claims.exp };
  };

  return {
    metrics,
    verify,
    users: () => store.projections().users.byId.values(),

    async register(username, password) {
      const { users } = store.projections();
      if (users.byName.has(username) || reservedNames.has(username)) throw new BeaconError('username_taken');
      reservedNames.add(username);
      const userId = Math.max(users.maxId, lastReservedId) + 1;
      lastReservedId = userId;
      try {
        const passwordHash = await hasher.hash(password);
        await store.append([
          { type: 'UserRegistered', data: { userId, username, passwordHash, registeredAt: clock.now() } },
        ]);
      } finally {
        reservedNames.delete(username);
      }
      logger.info({ userId, username }, 'user registered');
      return { username, user_id: userId };
    },

    async login(username, password, address) {
      const accountKey = `u:${username}`;
      const addressKey = `a:${address}`;
      const wait = Math.max(accountThrottle.retryAfter(accountKey), addressThrottle.retryAfter(addressKey));
      if (wait > 0) {
        metrics.loginsThrottled++;
        logger.warn({ username, address, retryAfter: wait }, 'login throttled');
        throw new BeaconError('rate_limited', { retryAfter: wait });
      }
      const user = store.projections().users.byName.get(username);
      if (user !== undefined && storedHashScheme(user.passwordHash) === undefined) {
        // Fails closed below (verify answers false); the hash itself is never logged.
        logger.error({ userId: user.userId }, 'stored password hash is malformed: login refused');
      }
      // Unknown names cost one real hash verification too, and get the identical answer.
      const ok = user === undefined ? await hasher.verifyDummy(password) : await hasher.verify(user.passwordHash, password);
      if (user === undefined || !ok) {
        accountThrottle.fail(accountKey);
        addressThrottle.fail(addressKey);
        metrics.loginsFailed++;
        const reason = user === undefined ? 'unknown_user' : 'bad_password';
        logger.info({ username, address, reason }, 'login failed');
        await store.append([
          { type: 'LoginFailed', data: { username, userId: user?.userId ?? null, address, reason } },
        ]);
        throw new BeaconError('invalid_credentials');
      }
      accountThrottle.reset(accountKey);
      await rehashIfNeeded(user, password);
      const userId = user.userId;
      return serialised(userId, async () => {
        const iat = nowSeconds(clock);
        const exp = iat + deps.tokenTtlSeconds;
        const jti = ids.next();
        const token = await signer.sign({ sub: String(userId), username, user_id: userId, iat, exp, jti });
        const events: BeaconEvent[] = [];
        const previous = store.projections().activeTokens.byUser.get(userId);
        if (previous !== undefined) {
          events.push({ type: 'TokenRevoked', data: { userId, jti: previous.jti, exp: previous.exp, reason: 'superseded' } });
        }
        events.push({ type: 'LoginSucceeded', data: { userId, username, jti, iat, exp, address } });
        await store.append(events);
        metrics.loginsOk++;
        logger.info({ userId, username, address, jti, superseded: previous?.jti }, 'login succeeded');
        return { token, user: { username, user_id: userId }, expires_in: deps.tokenTtlSeconds };
      });
    },

    async logout(current) {
      return serialised(current.userId, async () => {
        // Re-check after the queue: a concurrent login may have superseded this token.
        // The signature was verified once by the caller; only the projections can have moved.
        assertActive(current.userId, current.jti);
        await store.append([
          { type: 'LoggedOut', data: { userId: current.userId, jti: current.jti } },
          { type: 'TokenRevoked', data: { userId: current.userId, jti: current.jti, exp: current.exp, reason: 'logout' } },
        ]);
        logger.info({ userId: current.userId, username: current.username, jti: current.jti }, 'logged out');
        return current;
      });
    },

    async sweep() {
      const now = nowSeconds(clock);
      const expired = activeTokensProjection
        .expired(store.projections().activeTokens, now)
        .map(({ userId, jti, exp }): BeaconEvent => ({ type: 'TokenRevoked', data: { userId, jti, exp, reason: 'expired-cleanup' } }));
      if (expired.length > 0) await store.append(expired);
      return { cleaned: expired.length, pruned: store.pruneBlacklist() };
    },
  };
}
