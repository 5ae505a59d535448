// The admin API's wiring: the key check from the core's admin key, the service over the
// event log, the users projection, the hub and the channel service, and the routes the
// HTTP side composes.
// Without a key, there are no admin routes (every /admin/* is a 404).

import { adminKeyCheck, createAdminRoutes, createAdminService, type AdminConnection, type AdminHub, type AdminKeyCheck, type AdminRoutes } from '../admin/index.js';
import type { Hub } from '../actors/index.js';
import type { ChannelService } from '../channels/index.js';
import type { Metrics } from '../http/metrics.js';
import type { Core } from './core.js';

export interface Admin {
  readonly routes: AdminRoutes;
  /** Undefined when the admin API is off. */
  readonly key: AdminKeyCheck | undefined;
}

/** The hub as the admin API sees it: rows of section 7's shape, and the kick. */
export function adminHubOf(hub: Hub, node: string): AdminHub {
  return {
    connections(filter) {
      const rows: AdminConnection[] = [];
      for (const s of hub.snapshot()) {
        if (filter.userId !== undefined && s.userId !== filter.userId) continue;
        rows.push({
          sid: s.sid,
          username: s.username,
          user_id: s.userId,
          node,
          transport: s.transport,
          remote_address: s.remoteAddress,
          connected_at: s.connectedAt,
          state: s.state,
          channels: s.channels,
        });
      }
      return rows;
    },
    sessionsOf(userId) {
      // Presence is cluster-wide (the bus); this node's own count covers a lagging view.
      const everywhere = hub.presence().users.find((u) => u.user_id === userId)?.connections ?? 0;
      return Math.max(everywhere, hub.sessionsOf(userId));
    },
  };
}

export function buildAdmin(core: Core, parts: { hub: Hub; channels: ChannelService }, metrics: Pick<Metrics, 'adminAction'>): Admin {
  const { hub, channels } = parts;
  const { store, config } = core;
  const key = core.adminKey === undefined ? undefined : adminKeyCheck(core.adminKey.key);
  const adminHub = adminHubOf(hub, config.NODE_ID);
  const service = createAdminService({
    users: {
      byName: (username) => store.projections().users.byName.get(username),
      activeToken: (userId) => store.projections().activeTokens.byUser.get(userId),
    },
    log: store,
    hub: adminHub,
    namespaces: config.CHANNEL_NAMESPACES,
    channels,
    onAction: (kind) => metrics.adminAction(kind),
  });
  return { key, routes: createAdminRoutes({ key, service, hub: adminHub, log: store, channels }) };
}
