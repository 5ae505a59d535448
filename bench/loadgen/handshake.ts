// Handshake churn: `concurrency` loops, each opening a fresh connection, authenticating it
// (connect frame → register_user → response ok), recording the time that took, and closing it.

import { encode, newHistogram } from '../lib/hist.js';
import { nowMs } from '../lib/proc.js';
import { closeAll, connect, type Conn } from './conn.js';
import type * as M from './messages.js';

/** Sockets still closing beyond this make the loops wait, bounding open files. */
const MAX_CLOSING = 2_000;

export async function runHandshakes(c: Extract<M.Command, { cmd: 'handshake' }>): Promise<Omit<M.HandshakeResult, keyof M.Usage>> {
  const hist = newHistogram();
  const begin = nowMs();
  const end = nowMs() + c.durationMs;
  let started = 0;
  let ok = 0;
  let failed = 0;
  let closing = 0;
  let firstError: string | undefined;
  const closes: Promise<void>[] = [];
  const loop = async (): Promise<void> => {
    while (nowMs() < end && started < c.maxCount) {
      if (closing > MAX_CLOSING) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const cred = c.creds[started++ % c.creds.length] as M.Cred;
      const t0 = nowMs();
      let conn: Conn;
      try {
        conn = await connect(c.target, cred, () => undefined);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
        continue;
      }
      hist.recordValue(Math.max(1, Math.round((nowMs() - t0) * 1000)));
      ok++;
      closing++;
      closes.push(closeAll([conn]).then(() => void closing--));
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, loop));
  const activeMs = nowMs() - begin;
  await Promise.all(closes);
  return { ok, activeMs, failed, hist: encode(hist), ...(firstError === undefined ? {} : { firstError }) };
}
