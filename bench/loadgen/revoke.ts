// The worker's side of the cross-node revocation measurement: per round, a login on node A,
// that token's sockets opened on the other nodes, a logout on node A, and the time from the
// logout's request to the close of the last of those sockets. Rounds run one at a time. Also
// timed: from the login's answer until the other nodes accept its token.

import { encode, newHistogram } from '../lib/hist.js';
import { nowMs } from '../lib/proc.js';
import { connect, type Conn } from './conn.js';
import type * as M from './messages.js';

type Result<T> = Omit<T, keyof M.Usage>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Resolves with the close time and code of a socket that is open now. */
function closing(conn: Conn): Promise<{ at: number; code: number }> {
  return new Promise((resolve) => {
    conn.ws.onclose = (code) => {
      conn.closed = true;
      resolve({ at: nowMs(), code });
    };
  });
}

export async function revokeRounds(c: Extract<M.Command, { cmd: 'revoke' }>): Promise<Result<M.RevokeResult>> {
  const closeHist = newHistogram();
  const answerHist = newHistogram();
  const afterAnswerHist = newHistogram();
  const acceptHist = newHistogram();
  let refusedOpens = 0;
  const codes: Record<string, number> = {};
  for (let round = 0; round < c.rounds; round++) {
    const user = c.users[round % c.users.length] as { username: string; password: string };
    const login = await post(`${c.loginBase}/login-token`, user);
    const token = (login.json as { token?: unknown } | null)?.token;
    if (login.status !== 200 || typeof token !== 'string') throw new Error(`round ${round}: login on node A answered ${login.status} ${JSON.stringify(login.json)}`);
    // Another node may not have read the login from the log yet (it answers token_revoked
    // meanwhile): retried, and the wait is reported, not hidden.
    const loggedIn = nowMs();
    const conns: Conn[] = [];
    for (const target of c.watch) {
      for (;;) {
        try {
          conns.push(await connect(target, { token, username: user.username }, () => undefined));
          break;
        } catch (err) {
          const message = (err as Error).message;
          if (message.includes('token_revoked') && nowMs() - loggedIn < c.timeoutMs) {
            refusedOpens++;
            await sleep(10);
            continue;
          }
          for (const k of conns) k.ws.terminate();
          throw new Error(`round ${round}: a token from node A could not open a socket on ${target.base}: ${message}`);
        }
      }
    }
    acceptHist.recordValue(Math.max(1, Math.round((nowMs() - loggedIn) * 1000)));
    const closes = conns.map(closing);
    const t0 = nowMs();
    const logout = await post(`${c.loginBase}/logout`, {}, token);
    const answered = nowMs();
    if (logout.status !== 200) throw new Error(`round ${round}: logout on node A answered ${logout.status} ${JSON.stringify(logout.json)}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), c.timeoutMs)));
    const done = await Promise.race([Promise.all(closes), timeout]);
    clearTimeout(timer);
    if (done === 'timeout') {
      const open = conns.filter((k) => !k.closed).map((k) => k.base);
      for (const k of conns) k.ws.terminate();
      throw new Error(`round ${round}: ${open.length} of ${conns.length} sockets (on ${open.join(', ')}) still open ${c.timeoutMs} ms after a logout on node A: the revocation did not reach the other nodes`);
    }
    for (const d of done) codes[d.code] = (codes[d.code] ?? 0) + 1;
    const lastClose = Math.max(...done.map((d) => d.at));
    closeHist.recordValue(Math.max(1, Math.round((lastClose - t0) * 1000)));
    afterAnswerHist.recordValue(Math.max(1, Math.round((lastClose - answered) * 1000)));
    answerHist.recordValue(Math.max(1, Math.round((answered - t0) * 1000)));
  }
  return { rounds: c.rounds, hist: encode(closeHist), logoutHist: encode(answerHist), afterAnswerHist: encode(afterAnswerHist), acceptHist: encode(acceptHist), refusedOpens, closeCodes: codes };
}
