// Prometheus metrics, one registry per server instance (tests run several in a process):
// HTTP requests by route and status, logins, the hash pool, the event log, live sockets.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export interface MetricSources {
  logins(): { ok: number; failed: number; throttled: number };
  hashQueue(): { queued: number; busy: number };
  eventLog(): { commits: number; events: number; failures: number };
  connections(): number;
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
