// What the hub does with the log's commits: the events that end sessions or subscriptions
// from outside (revocations, an operator's kick and disable, membership removals) reach
// exactly the live actors and subscriptions concerned. Every node follows the log, so
// every node applies them to its own connections and none can miss one.

import type { RecordedEvent } from '../events/index.js';
import type { ChannelRouter } from './channelRouter.js';
import type { ConnectionRegistry } from './registry.js';
import type { RevocationMemory } from './revocations.js';

export function applyCommitted(events: readonly RecordedEvent[], deps: { live: ConnectionRegistry; router: ChannelRouter; revoked: RevocationMemory }): void {
  const { live, router, revoked } = deps;
  for (const event of events) {
    switch (event.type) {
      case 'ChannelMemberRemoved':
        router.membershipRemoved(event.data.channel, event.data.userId);
        break;
      case 'UserDisabled':
        // Subscriptions hear why they end before the socket does; the disable commits before
        // the revocation it comes with, so the user hears 4006, not 4001.
        router.endUser(event.data.userId, 'account_disabled');
        for (const actor of live.connectionsOf(event.data.userId)) actor.send({ type: 'REVOKE', code: 'account_disabled' });
        break;
      case 'UserKicked':
        for (const actor of live.connectionsOf(event.data.userId)) actor.send({ type: 'REVOKE', code: 'kicked' });
        break;
      case 'LoginSucceeded':
        // One active token per user, whatever the order two nodes' logins committed in: a node
        // that decided a login against a view without the other's has revoked only the token
        // it knew, so every live connection of the user on another token is replaced here.
        for (const actor of live.connectionsOf(event.data.userId)) {
          if (actor.getSnapshot().context.session?.jti !== event.data.jti) actor.send({ type: 'REVOKE', code: 'session_replaced' });
        }
        break;
      case 'TokenRevoked': {
        const code = revoked.remember(event.data.jti, event.data.reason);
        for (const actor of live.holdersOf(event.data.jti)) actor.send({ type: 'REVOKE', code });
        break;
      }
      default:
        // Presence comes from the bus; the rest of the log is not the hub's business.
        break;
    }
  }
}
