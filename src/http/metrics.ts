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
