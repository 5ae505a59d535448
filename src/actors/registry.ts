// The hub's indexes of live connection actors: by sid, by user and by token (jti). Only
// the hub writes them, from the machine's sessionStarted / sessionRefreshed /
// connectionClosed effects. (Directed messages find users by name in the users projection.)

import type { ConnectionActor } from './connectionHandle.js';
import { MultiIndex } from './multiIndex.js';
import type { Session } from '../auth/session.js';

export class ConnectionRegistry {
  private readonly bySid = new Map<string, ConnectionActor>();
  private readonly byUser = new MultiIndex<number, ConnectionActor>();
  private readonly byJti = new MultiIndex<string, ConnectionActor>();

  add(sid: string, actor: ConnectionActor): void {
    this.bySid.set(sid, actor);
  }

  get(sid: string): ConnectionActor | undefined {
    return this.bySid.get(sid);
  }

  has(sid: string): boolean {
    return this.bySid.has(sid);
  }

  /** The connection authenticated with `session`. */
  indexSession(actor: ConnectionActor, session: Session): void {
    this.byUser.add(session.userId, actor);
    this.byJti.add(session.jti, actor);
  }

  /** The connection swapped its token. */
  reindexToken(actor: ConnectionActor, previousJti: string, nextJti: string): void {
    this.byJti.remove(previousJti, actor);
    this.byJti.add(nextJti, actor);
  }

  /** The connection is gone; `session` is the one it last held, if any. */
  remove(sid: string, actor: ConnectionActor, session: Session | null): void {
    if (this.bySid.get(sid) === actor) this.bySid.delete(sid);
    if (session === null) return;
    this.byUser.remove(session.userId, actor);
    this.byJti.remove(session.jti, actor);
  }

  /** Live actors holding this token (a copy: revoking them changes the index). */
  holdersOf(jti: string): ConnectionActor[] {
    return this.byJti.get(jti);
  }

  connectionsOf(userId: number): ConnectionActor[] {
    return this.byUser.get(userId);
  }

  /** A copy of every live actor. */
  all(): ConnectionActor[] {
    return [...this.bySid.values()];
  }

  get size(): number {
    return this.bySid.size;
  }
}
