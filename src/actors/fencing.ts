// The hub's fence: a cluster node that cannot follow the event log may be missing a
// revocation, so while fenced it serves no one: authenticated connections are revoked
// with 1013 node_unavailable, and every other connection (and each new one) is closed so.

import { CloseCode } from '../constants.js';
import { ERRORS } from '../errors.js';
import type { ConnectionActor } from './connectionHandle.js';

export interface Fencing {
  set(on: boolean, actors: readonly ConnectionActor[]): void;
  readonly on: boolean;
  /** Closes a connection this fenced node will not serve, before it can authenticate. */
  refuse(actor: ConnectionActor): void;
}

export function createFencing(deps: { logger: { warn(obj: object, msg: string): void }; guarded(what: string, fn: () => void): void }): Fencing {
  let fenced = false;
  const reason = ERRORS.node_unavailable.message;
  const refuse = (actor: ConnectionActor): void => {
    const { port } = actor.getSnapshot().context;
    deps.guarded('close', () => port.close(CloseCode.nodeUnavailable, reason));
    actor.send({ type: 'SOCKET_CLOSED', code: CloseCode.nodeUnavailable, reason });
  };
  return {
    set(on, actors) {
      if (on === fenced) return;
      fenced = on;
      deps.logger.warn({ fenced: on }, on ? 'node fenced: closing authenticated connections (1013)' : 'node rejoined: accepting connections');
      if (!on) return;
      for (const actor of actors) {
        if (actor.getSnapshot().context.session !== null) actor.send({ type: 'REVOKE', code: 'node_unavailable' });
        else refuse(actor);
      }
    },
    get on() {
      return fenced;
    },
    refuse,
  };
}
