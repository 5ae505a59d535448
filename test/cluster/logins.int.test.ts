// Accounts across three in-process nodes: what one node acknowledged, the next request on
// another node sees (a node that does not know a user or token catches up with the log
// first), and two logins of one user at once on two nodes leave exactly one valid token.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../support/beacon.js';
import { clusterSkip, eventually, killListeners, startCluster, type Cluster, type ClusterNode } from '../support/cluster.js';
import { connect, login, PASSWORD, register } from '../support/clusterClients.js';
import { TestClient, wsUrl } from '../support/wsClient.js';

const ROUNDS = 10;
/** A revocation reaches every node within this (section 8). */
const REVOKED_WITHIN_MS = 1_000;

describe('cluster accounts and tokens', { skip: clusterSkip, timeout: 60_000 }, () => {
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  before(async () => {
    cluster = await startCluster({ nodes: 3 });
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  after(() => cluster?.dispose());

  test('read-your-writes: register on A then log in on B; a token from A works and logs out on B at once', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const name = `ryw_${i}`;
      const id = await register(a, name);
      const token = await login(b, name);
      const onC = await call('GET', `${c.http}/protected`, { token });
      assert.equal(onC.status, 200, `round ${i}: node C accepts a token node B issued a moment ago: ${onC.text}`);
      assert.equal(onC.json.user.user_id, id);
      const fresh = await login(a, name);
      // A token B knows as valid is not a miss: B learns of its revocation from the log,
      // within the revocation bound of 1 s.
      const old = await eventually(`round ${i}: the replaced token refused on B`, REVOKED_WITHIN_MS, async () => {
        const r = await call('GET', `${b.http}/protected`, { token });
        return r.status === 401 ? r : undefined;
      });
      assert.equal(old.json.error, 'token_revoked');
      const socket = await connect(c, fresh);
      const out = await call('POST', `${b.http}/logout`, { token: fresh });
      assert.equal(out.status, 200, `round ${i}: logout on B of a token A issued a moment ago: ${out.text}`);
      const closed = await socket.closed;
      assert.equal(closed.code, 4001, `round ${i}: the socket on C is closed as revoked`);
      // B, which logged it out, refuses it at once; the others within the revocation bound.
      const onB = await call('GET', `${b.http}/protected`, { token: fresh });
      assert.equal(onB.status, 401, `round ${i}: B refuses the token it logged out`);
      for (const node of [a, c]) {
        const after = await eventually(`round ${i}: ${node.id} refuses the logged-out token`, REVOKED_WITHIN_MS, async () => {
          const r = await call('GET', `${node.http}/protected`, { token: fresh });
          return r.status === 401 ? r : undefined;
        });
        assert.equal(after.json.error, 'token_revoked');
      }
    }
  });

  // Notifications usually outrun the client's next request; with every LISTEN connection just
  // killed, B and C know nothing of A's commits until they catch up, so they must catch up
  // on a miss before answering.
  test('read-your-writes with no notification: B and C catch up on an unknown user or token', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `ryw_quiet_${i}`;
      assert.equal(await killListeners(cluster.databaseUrl, 3), 3, 'every node\'s LISTEN connection killed');
      await register(a, name);
      const token = await login(b, name);
      const onC = await call('GET', `${c.http}/protected`, { token });
      assert.equal(onC.status, 200, `round ${i}: node C accepts the token at once: ${onC.text}`);
      assert.equal(await killListeners(cluster.databaseUrl, 3), 3, 'every node\'s LISTEN connection killed');
      const fresh = await login(a, name);
      const socket = await connect(c, fresh);
      const out = await call('POST', `${b.http}/logout`, { token: fresh });
      assert.equal(out.status, 200, `round ${i}: logout on B of a token A issued a moment ago: ${out.text}`);
      assert.equal((await socket.closed).code, 4001);
    }
  });

  test('two logins of one user at the same moment on two nodes leave exactly one valid token', async () => {
    const name = 'racer';
    await register(a, name);
    for (let i = 0; i < ROUNDS; i++) {
      const [x, y] = await Promise.all(
        [a, b].map((node) => call('POST', `${node.http}/login-token`, { body: { username: name, password: PASSWORD } })),
      );
      assert.equal(x?.status, 200, x?.text);
      assert.equal(y?.status, 200, y?.text);
      const tokens = [x?.json.token as string, y?.json.token as string];
      // Each login revoked the token before it: whichever committed last wins, on every node,
      // once the nodes have read both (the revocation bound). Both valid for good would be a
      // login that revoked from a stale view of the user's tokens.
      const verdicts = await eventually(`round ${i}: every node holds exactly one token valid, the same one`, REVOKED_WITHIN_MS, async () => {
        const seen: string[] = [];
        for (const node of [a, b, c]) {
          const valid = [];
          for (const token of tokens) valid.push((await call('GET', `${node.http}/protected`, { token })).status === 200);
          if (valid.filter(Boolean).length !== 1) return undefined;
          seen.push(valid.join(','));
        }
        return new Set(seen).size === 1 ? seen : undefined;
      });
      const winner = verdicts[0]?.startsWith('true') === true ? 0 : 1;
      // It stays so: both nodes' commits are in, nothing later changes the verdict.
      for (const node of [a, b, c]) {
        assert.equal((await call('GET', `${node.http}/protected`, { token: tokens[winner] as string })).status, 200, `round ${i}: the winner valid on ${node.id}`);
      }
      // And a socket with the loser is refused at the upgrade on every node.
      const loser = tokens[1 - winner] as string;
      for (const node of [a, b, c]) {
        await assert.rejects(TestClient.open(wsUrl(node.http, loser)), (err: { status?: number }) => err.status === 401, `round ${i}: ${node.id} refuses the revoked token at upgrade`);
      }
    }
  });

  test('an unknown name logs in nowhere, a duplicate registration on another node is refused', async () => {
    await register(b, 'dup_user');
    const again = await call('POST', `${c.http}/register`, { body: { username: 'dup_user', password: PASSWORD } });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.json.error, 'username_taken');
    const ghost = await call('POST', `${a.http}/login-token`, { body: { username: 'never_registered', password: PASSWORD } });
    assert.equal(ghost.status, 401);
    assert.equal(ghost.json.error, 'invalid_credentials');
  });
});
