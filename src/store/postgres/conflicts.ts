// Decisions one node made against folds another node's append has since moved, checked
// under the append lock once the folds hold everything before. Only what the folds cannot
// reconcile is refused: racing logins are not (the last LoginSucceeded is the active token).

import { BeaconError } from '../../errors.js';
import type { BeaconEvent, ProjectionState } from '../../events/index.js';

/** What earlier callers of the same batch have claimed (they are not in the folds yet). */
export interface Claims {
  readonly userIds: Set<number>;
  readonly usernames: Set<string>;
}

export const noClaims = (): Claims => ({ userIds: new Set(), usernames: new Set() });

/**
 * Two nodes registering at once each pick the next free id (and may pick one name): the
 * second UserRegistered would give one id or one name to two users. Returns the error for
 * the caller, or undefined and records its claims.
 */
export function conflictOf(events: readonly BeaconEvent[], state: ProjectionState, claims: Claims): BeaconError | undefined {
  for (const event of events) {
    if (event.type !== 'UserRegistered') continue;
    const { userId, username } = event.data;
    if (state.users.byName.has(username) || claims.usernames.has(username)) return new BeaconError('username_taken');
    if (state.users.byId.has(userId) || claims.userIds.has(userId)) {
      return new BeaconError('unavailable', { message: 'Another registration took this user id at the same moment, try again' });
    }
  }
  for (const event of events) {
    if (event.type !== 'UserRegistered') continue;
    claims.userIds.add(event.data.userId);
    claims.usernames.add(event.data.username);
  }
  return undefined;
}
