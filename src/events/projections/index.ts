// The folds the auth layer reads, held together: whichever log a node follows feeds every
// event to `apply`, in log order, and hands out `state` through the Projections port.

import type { BeaconEvent } from '../types.js';
import { activeTokensProjection, type ActiveTokensState } from './activeTokens.js';
import { blacklistProjection, type BlacklistState } from './blacklist.js';
import { usersProjection, type UsersState } from './users.js';

export { activeTokensProjection, blacklistProjection, usersProjection };
export type { ActiveToken, ActiveTokensState } from './activeTokens.js';
export type { BlacklistState } from './blacklist.js';
export type { UserRecord, UsersState } from './users.js';

export interface ProjectionState {
  readonly users: UsersState;
  readonly blacklist: BlacklistState;
  readonly activeTokens: ActiveTokensState;
}

export interface ProjectionSet {
  /** One object for the set's lifetime: its fields move as events are applied. */
  readonly state: ProjectionState;
  apply(event: BeaconEvent): void;
  /** Drops revocations whose token expired by `nowSeconds`; returns the pruned jtis. */
  prune(nowSeconds: number): string[];
}

export function createProjectionSet(): ProjectionSet {
  const state = {
    users: usersProjection.initial(),
    blacklist: blacklistProjection.initial(),
    activeTokens: activeTokensProjection.initial(),
  };
  return {
    state,
    apply(event) {
      state.users = usersProjection.evolve(state.users, event);
      state.blacklist = blacklistProjection.evolve(state.blacklist, event);
      state.activeTokens = activeTokensProjection.evolve(state.activeTokens, event);
    },
    prune: (nowSeconds) => blacklistProjection.prune(state.blacklist, nowSeconds),
  };
}
