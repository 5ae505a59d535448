// The Projections port: the read side the auth layer decides against (users, revoked
// tokens, each user's active token). Every log binding keeps one current by feeding the
// pure folds of src/events every event it follows; the folds live in memory on every node.

import type { ProjectionState } from '../events/index.js';

export interface Projections {
  /** The folds as of the last commit this node followed. Read-only for callers. */
  projections(): ProjectionState;
  /** Forgets revoked tokens whose expiry has passed (they fail as expired anyway); returns how many. */
  pruneBlacklist(): number;
}
