// The folds the auth layer reads, held together: whichever log a node follows feeds every
// event to `apply`, in log order, and hands out `state` through the Projections port.

import type { BeaconEvent } from '../types.js';
import { activeTokensProjection, type ActiveTokensState } from './activeTokens.js';
import { blacklistProjection, type BlacklistState } from './blacklist.js';
import { membershipsProjection, type MembershipsState } from './memberships.js';
import { usersProjection, type UsersState } from './users.js';

export { activeTokensProjection, blacklistProjection, usersProjection };
export type { ActiveToken, ActiveTokensState } from './activeTokens.js';
export type { BlacklistState } from './blacklist.js';
export type { UserRecord, UsersState } from './users.js';

export interface ProjectionState {
  readonly users: UsersState;
  readonly blacklist: BlacklistState;
  readonly activeTokens: ActiveTokensState;
  /** Members of `members` channels: subscribe and publish checks, and removals ending subscriptions. */
  readonly memberships: MembershipsState;
}

export interface ProjectionSet {
  /** One object for the set's lifetime: its fields move as events are applied. */
  readonly state: ProjectionState;
  apply(event: BeaconEvent): void;
  /** Drops revocations whose token expired by `nowSeconds`; returns the pruned jtis. */
  prune(nowSeconds: number): string[];
}

export function initialProjections(): ProjectionState {
  return {
    users: usersProjection.initial(),
    blacklist: blacklistProjection.initial(),
    activeTokens: activeTokensProjection.initial(),
    memberships: membershipsProjection.initial(),
  };
}

/** Every fold's evolve at once (each updates its maps in place, see users.ts). */
export function evolveProjections(state: ProjectionState, event: BeaconEvent): ProjectionState {
  return {
    users: usersProjection.evolve(state.users, event),
    blacklist: blacklistProjection.evolve(state.blacklist, event),
    activeTokens: activeTokensProjection.evolve(state.activeTokens, event),
    memberships: membershipsProjection.evolve(state.memberships, event),
  };
}

export function createProjectionSet(): ProjectionSet {
  const state: { -readonly [K in keyof ProjectionState]: ProjectionState[K] } = initialProjections();
  return {
    state,
    apply(event) {
      Object.assign(state, evolveProjections(state, event));
    },
    prune: (nowSeconds) => blacklistProjection.prune(state.blacklist, nowSeconds),
  };
}
