// The auth service: registration, login, logout and token checks. It hashes, signs and
// throttles; the decider (decider.ts) turns each command into events against the folds,
// which the service appends to the log. HTTP and WebSocket code call only this.

import type { Clock, IdSource } from '../clock.js';
import { nowSeconds } from '../clock.js';
import {
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_THROTTLE_MAX_KEYS,
  LOGIN_THROTTLE_WINDOW_SECONDS,
} from '../constants.js';
import { BeaconError } from '../errors.js';
import type { UserRecord } from '../events/index.js';
import type { Logger } from '../log.js';
import type { EventLog, Projections } from '../ports/index.js';
import { assertActive, decide, type AuthCommand } from './decider.js';
import { AuthFailure, type Session, type TokenVerifier } from './session.js';
import { needsRehash, storedHashScheme, type PasswordHasher } from './passwords.js';
import { asyncThrottle, createThrottle, type AsyncThrottle } from './throttle.js';
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
  log: EventLog;
  /** The folds `log` keeps current (read-your-writes: current once an append resolves). */
  projections: Projections;
  hasher: PasswordHasher;
  signer: TokenSigner;
  clock: Clock;
  ids: IdSource;
  tokenTtlSeconds: number;
  logger: Logger;
  /** Shared login throttles (a cluster: counts in Redis); default in-memory ones for this process. */
  throttles?: { account: AsyncThrottle; address: AsyncThrottle };
}

export function createAuthService(deps: AuthDeps): AuthService {
  const { log, projections, hasher, signer, clock, ids, logger } = deps;
  const state = () => projections.projections();
  /** Decides against the folds as they are now and appends what was decided. */
  const run = async (command: AuthCommand): Promise<number> => {
    const events = decide(command, state());
    if (events.length > 0) await log.append(events);
    return events.length;
  };
  const accountThrottle =
    deps.throttles?.account ??
    asyncThrottle(createThrottle({ limit: LOGIN_FAILURES_PER_ACCOUNT, windowSeconds: LOGIN_THROTTLE_WINDOW_SECONDS }, clock, LOGIN_THROTTLE_MAX_KEYS));
  const addressThrottle =
    deps.throttles?.address ??
    asyncThrottle(createThrottle({ limit: LOGIN_FAILURES_PER_ADDRESS, windowSeconds: LOGIN_THROTTLE_WINDOW_SECONDS }, clock, LOGIN_THROTTLE_MAX_KEYS));
  const metrics = { loginsOk: 0, loginsFailed: 0, loginsThrottled: 0 };
  // Names and ids promised to registrations whose hash is still being computed.
  const reservedNames = new Set<string>();
  let lastReservedId = 0;
  // Per-user queue: a login or logout decides against the commit before it, so concurrent
  // logins each revoke the token the previous one issued and exactly one stays active.
  const userQueues = new Map<number, Promise<unknown>>();

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
      await run({ type: 'Rehash', data: { userId: user.userId, passwordHash } });
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
    // Any token but the user's one active token is refused, even one whose revocation is
    // still being committed (a newer login is already the active token). A token this node
    // does not know may have been issued by another node a moment ago: read the log to its
    // head once and look again (read-your-writes across nodes; immediate for one node).
    try {
      assertActive(state(), claims.user_id, claims.jti);
    } catch (err) {
      if (!(err instanceof AuthFailure)) throw err;
      await log.catchUp();
      assertActive(state(), claims.user_id, claims.jti);
    }
    return { username: claims.username, userId: claims.user_id, jti: claims.jti, exp: claims.exp };
  };

  return {
    metrics,
    verify,
    users: () => state().users.byId.values(),

    async register(username, password) {
      // Another node may have registered this name, or the next id, a moment ago.
      await log.catchUp();
      const { users } = state();
      if (users.byName.has(username) || reservedNames.has(username)) throw new BeaconError('username_taken');
      reservedNames.add(username);
      const userId = Math.max(users.maxId, lastReservedId) + 1;
      lastReservedId = userId;
      try {
        const passwordHash = await hasher.hash(password);
        await run({ type: 'Register', data: { userId, username, passwordHash, registeredAt: clock.now() } });
      } finally {
        reservedNames.delete(username);
      }
      logger.info({ userId, username }, 'user registered');
      return { username, user_id: userId };
    },

    async login(username, password, address) {
      const accountKey = `u:${username}`;
      const addressKey = `a:${address}`;
      const waits = await Promise.all([accountThrottle.retryAfter(accountKey), addressThrottle.retryAfter(addressKey)]);
      const wait = Math.max(...waits);
      if (wait > 0) {
        metrics.loginsThrottled++;
        logger.warn({ username, address, retryAfter: wait }, 'login throttled');
        throw new BeaconError('rate_limited', { retryAfter: wait });
      }
      // A name registered on another node a moment ago: read the log to its head before "unknown".
      if (!state().users.byName.has(username)) await log.catchUp();
      const user = state().users.byName.get(username);
      if (user !== undefined && storedHashScheme(user.passwordHash) === undefined) {
        // Fails closed below (verify answers false); the hash itself is never logged.
        logger.error({ userId: user.userId }, 'stored password hash is malformed: login refused');
      }
      // Unknown names cost one real hash verification too, and get the identical answer.
      const ok = user === undefined ? await hasher.verifyDummy(password) : await hasher.verify(user.passwordHash, password);
      if (user === undefined || !ok) {
        await Promise.all([accountThrottle.fail(accountKey), addressThrottle.fail(addressKey)]);
        metrics.loginsFailed++;
        const reason = user === undefined ? 'unknown_user' : 'bad_password';
        logger.info({ username, address, reason }, 'login failed');
        await run({ type: 'FailLogin', data: { username, userId: user?.userId ?? null, address, reason } });
        throw new BeaconError('invalid_credentials');
      }
      await accountThrottle.reset(accountKey);
      await rehashIfNeeded(user, password);
      const userId = user.userId;
      return serialised(userId, async () => {
        const iat = nowSeconds(clock);
        const exp = iat + deps.tokenTtlSeconds;
        const jti = ids.next();
        const token = await signer.sign({ sub: String(userId), username, user_id: userId, iat, exp, jti });
        const previous = state().activeTokens.byUser.get(userId);
        await run({ type: 'CompleteLogin', data: { userId, username, jti, iat, exp, address } });
        metrics.loginsOk++;
        logger.info({ userId, username, address, jti, superseded: previous?.jti }, 'login succeeded');
        return { token, user: { username, user_id: userId }, expires_in: deps.tokenTtlSeconds };
      });
    },

    async logout(current) {
      return serialised(current.userId, async () => {
        // Decided after the queue: a concurrent login may have superseded this token.
        // The signature was verified once by the caller; only the projections can have moved.
        await run({ type: 'Logout', data: { session: current } });
        logger.info({ userId: current.userId, username: current.username, jti: current.jti }, 'logged out');
        return current;
      });
    },

    async sweep() {
      const cleaned = await run({ type: 'Sweep', data: { nowSeconds: nowSeconds(clock) } });
      return { cleaned, pruned: projections.pruneBlacklist() };
    },
  };
}
