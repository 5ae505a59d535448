// Prometheus metrics, one registry per server instance (tests run several in a process):
// HTTP requests by route and status, logins, the hash pool, the event log, live sockets,
// and channels by namespace (never by channel name: that label set would be unbounded).

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ChannelStats } from '../channels/service.js';

export interface MetricSources {
  logins(): { ok: number; failed: number; throttled: number };
  hashQueue(): { queued: number; busy: number };
  eventLog(): { commits: number; events: number; failures: number };
  connections(): number;
  /** Channel counters; namespaces are the configured ones, a bounded set. */
  channels?(): ChannelStats;
  /** A cluster node: its name, fence, log lag and dependencies. */
  cluster?(): { node: string; fenced: boolean; logLagMs: number; postgres: 'up' | 'down'; redis: 'up' | 'down' };
}

export interface Metrics {
  readonly registry: Registry;
  httpRequest(route: string, method: string, status: number): void;
  /** One admin API action carried out (disconnect, revoke, disable, ...). */
  adminAction(kind: string): void;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'beacon_' });
  const requests = new Counter({
    name: 'beacon_http_requests_total',
    help: 'HTTP requests answered, by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const adminActions = new Counter({
    name: 'beacon_admin_actions_total',
    help: 'Admin API actions carried out, by kind',
    labelNames: ['action'] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  // Counters that other modules keep are exposed as gauges read at scrape time.
  gauge('beacon_logins_ok_total', 'Successful logins since start', () => sources.logins().ok);
  gauge('beacon_logins_failed_total', 'Failed logins since start', () => sources.logins().failed);
  gauge('beacon_logins_throttled_total', 'Logins refused by the throttle since start', () => sources.logins().throttled);
  gauge('beacon_hash_queue_depth', 'Password hash jobs waiting for a worker', () => sources.hashQueue().queued);
  gauge('beacon_hash_workers_busy', 'Password hash workers busy', () => sources.hashQueue().busy);
  gauge('beacon_event_log_commits_total', 'Event log transactions committed', () => sources.eventLog().commits);
  gauge('beacon_event_log_appends_total', 'Events appended to the log', () => sources.eventLog().events);
  gauge('beacon_event_log_failures_total', 'Event log commits that failed', () => sources.eventLog().failures);
  gauge('beacon_ws_connections', 'Live WebSocket connections', () => sources.connections());
  const channels = sources.channels;
  if (channels !== undefined) channelMetrics(registry, channels);
  const cluster = sources.cluster;
  if (cluster !== undefined) clusterMetrics(registry, cluster);
  return {
    registry,
    httpRequest(route, method, status) {
      requests.inc({ route, method, status: String(status) });
    },
    adminAction(kind) {
      adminActions.inc({ action: kind });
    },
  };
}

/** Channel gauges read at scrape time from the channel service's counters, by namespace. */
function channelMetrics(registry: Registry, stats: () => ChannelStats): void {
  const byNamespace = (name: string, help: string, read: (s: ChannelStats) => Map<string, number>): void => {
    new Gauge({
      name,
      help,
      labelNames: ['namespace'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [namespace, n] of read(stats())) this.set({ namespace }, n);
      },
    });
  };
  byNamespace('beacon_channel_subscriptions', 'Live channel subscriptions, by namespace', (s) => s.subscriptions());
  byNamespace('beacon_channel_publications_total', 'Publications written since start, by namespace', (s) => s.publications);
  byNamespace('beacon_channel_history_publications', 'Publications kept in channel history, by namespace', (s) => s.kept());
  new Gauge({
    name: 'beacon_channel_recoveries_total',
    help: 'Subscribes with `since` since start, by namespace and result (recovered, not_recovered)',
    labelNames: ['namespace', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [namespace, r] of stats().recoveries) {
        this.set({ namespace, result: 'recovered' }, r.recovered);
        this.set({ namespace, result: 'not_recovered' }, r.notRecovered);
      }
    },
  });
}

/** A cluster node: which node (a label, so merged scrapes tell nodes apart), fence, lag, dependencies. */
function clusterMetrics(registry: Registry, read: NonNullable<MetricSources['cluster']>): void {
  new Gauge({
    name: 'beacon_node_info',
    help: 'This cluster node (NODE_ID as the node label); always 1',
    labelNames: ['node'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ node: read().node }, 1);
    },
  });
  new Gauge({
    name: 'beacon_dependency_up',
    help: 'Whether a shared dependency (postgres, redis) is usable from this node: 1 up, 0 down',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      const h = read();
      this.set({ dependency: 'postgres' }, h.postgres === 'up' ? 1 : 0);
      this.set({ dependency: 'redis' }, h.redis === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'beacon_event_log_lag_seconds',
    help: 'Seconds since this node last read the event log to its head',
    registers: [registry],
    collect() {
      this.set(read().logLagMs / 1000);
    },
  });
  new Gauge({
    name: 'beacon_node_fenced',
    help: '1 while this node is fenced (it could not follow the event log for CLUSTER_FENCE_SECONDS)',
    registers: [registry],
    collect() {
      this.set(read().fenced ? 1 : 0);
    },
  });
}
