// The tokens getToken hands over: the newest one (reused by a reconnect while it is still
// good), the username it claims, and which token `token_expired` was already said for.

import { readClaims, refreshAt } from './token.js';
import type { TokenAnswer } from './types.js';

export type GetToken = (current?: string) => TokenAnswer | Promise<TokenAnswer>;

export class TokenKeeper {
  /** The newest token getToken gave. */
  latest: string | undefined;
  /** The username getToken named with it, when it named one. */
  #claimed: string | undefined;
  #expiredSaid: string | undefined;

  constructor(private readonly getToken: GetToken | undefined) {}

  get enabled(): boolean {
    return this.getToken !== undefined;
  }

  /** Asks getToken, handing it `current`; undefined when there is none or it answered null (no token). */
  async ask(current: string | undefined): Promise<string | undefined> {
    if (this.getToken === undefined) return undefined;
    const answer = await this.getToken(current);
    if (answer === null) return undefined;
    this.#claimed = typeof answer === 'string' ? undefined : answer.username;
    return (this.latest = typeof answer === 'string' ? answer : answer.token);
  }

  /** The latest token if it is not yet due for a refresh (`dueAt` on the local clock), else a fresh one. */
  async forConnect(marginMs: number, skewMs: number, now: number): Promise<string | undefined> {
    const latest = this.latest;
    const due = latest === undefined ? undefined : refreshAt(readClaims(latest), marginMs, skewMs, now);
    if (latest !== undefined && due !== undefined && due > now) return latest;
    return this.ask(latest);
  }

  /** The username to send with `token`. */
  usernameFor(token: string): string {
    return this.#claimed ?? readClaims(token).username ?? '';
  }

  /** True the first time `token`'s expiry is reported, false after. */
  firstExpiry(token: string | undefined): boolean {
    if (token === undefined || token === this.#expiredSaid) return false;
    this.#expiredSaid = token;
    return true;
  }
}
