// Read-your-writes across nodes, given/when/then over two auth services ("nodes") sharing
// one log that each follows only when it appends or catches up: a node that does not know a
// name or a token reads the log to its head before it answers "unknown" or "revoked".

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { createAuthService, type AuthService } from '../../src/auth/service.js';
import { createPasswordHasher } from '../../src/auth/passwords.js';
import { AuthFailure } from '../../src/auth/session.js';
import { createTokenSigner } from '../../src/auth/tokens.js';
import { randomIds, systemClock } from '../../src/clock.js';
import { createProjectionSet, streamOf, type BeaconEvent, type RecordedEvent } from '../../src/events/index.js';
import type { EventLog, Projections } from '../../src/ports/index.js';

const SECRET = new TextEncoder().encode('test-secret-key-that-is-long-enough-0123456789');
const hasher = createPasswordHasher({ workers: 1, argon2: { memoryKiB: 64, iterations: 1, parallelism: 1 } });
after(() => hasher.close());

/** One shared log; each node's folds move only on its own appends and on catchUp(). */
function cluster() {
  const committed: RecordedEvent[] = [];
  const node = (): { auth: AuthService; catchUps: () => number } => {
    const folds = createProjectionSet();
    let known = 0;
    let catchUps = 0;
    const follow = (): void => {
      for (; known < committed.length; known++) folds.apply(committed[known] as RecordedEvent);
    };
    const log: EventLog & Projections = {
      async append(events: readonly BeaconEvent[]) {
        const recorded = events.map((e, i): RecordedEvent => ({ ...e, position: committed.length + i + 1, stream: streamOf(e), streamPosition: 1, recordedAt: Date.now() }));
        committed.push(...recorded);
        follow();
        return recorded;
      },
      read: async (afterPosition, limit) => committed.slice(afterPosition, afterPosition + limit),
      subscribe: () => () => {},
      lastPosition: () => known,
      async catchUp() {
        catchUps++;
        follow();
      },
      lag: () => 0,
      healthy: () => true,
      stats: () => ({ commits: 0, events: 0, failures: 0 }),
      close: async () => {},
      projections: () => folds.state,
      pruneBlacklist: () => 0,
    };
    const auth = createAuthService({
      log,
      projections: log,
      hasher,
      signer: createTokenSigner(SECRET, systemClock),
      clock: systemClock,
      ids: randomIds,
      tokenTtlSeconds: 3600,
      logger: pino({ level: 'silent' }),
    });
    return { auth, catchUps: () => catchUps };
  };
  return { a: node(), b: node() };
}

describe('read-your-writes across nodes', () => {
  test('a login on B right after a registration on A works', async () => {
    const { a, b } = cluster();
    await a.auth.register('alice', 'correct horse battery');
    const login = await b.auth.login('alice', 'correct horse battery', '192.0.2.1');
    assert.equal(login.user.user_id, 1);
  });

  test('B accepts a token A issued a moment ago, after one catch-up', async () => {
    const { a, b } = cluster();
    await a.auth.register('alice', 'correct horse battery');
    const { token } = await a.auth.login('alice', 'correct horse battery', '192.0.2.1');
    const before = b.catchUps();
    const session = await b.auth.verify(token);
    assert.equal(session.username, 'alice');
    assert.equal(b.catchUps() - before, 1, 'one read of the log, only because the token was unknown');
    await b.auth.verify(token);
    assert.equal(b.catchUps() - before, 1, 'a known token costs no read');
    // And B can log it out: the revocation is decided against what B has just read.
    await b.auth.logout(session);
    await assert.rejects(b.auth.verify(token), (err: unknown) => err instanceof AuthFailure && err.code === 'token_revoked');
  });

  test('a token the log says was superseded stays refused after the catch-up; its successor is accepted', async () => {
    const { a, b } = cluster();
    await a.auth.register('alice', 'correct horse battery');
    const first = await a.auth.login('alice', 'correct horse battery', '192.0.2.1');
    const second = await a.auth.login('alice', 'correct horse battery', '192.0.2.1');
    await assert.rejects(b.auth.verify(first.token), (err: unknown) => err instanceof AuthFailure && err.code === 'token_revoked');
    assert.equal((await b.auth.verify(second.token)).username, 'alice');
  });
});
