// A cluster node's fence and health. A node that has not read the event log to its head for
// CLUSTER_FENCE_SECONDS may be missing a revocation: it closes its authenticated connections
// (1013), refuses new ones and fails /healthz until it has caught up, then rejoins by itself.
// The health and metrics views show each dependency (postgres, redis) and the log lag.

import { CLUSTER_FENCE_CHECK_MS } from '../constants.js';
import type { Hub } from '../actors/index.js';
import type { EventLog } from '../ports/index.js';

export interface ClusterHealth {
  readonly node: string;
  readonly fenced: boolean;
  /** Milliseconds since this node last knew itself current with the log. */
  readonly logLagMs: number;
  readonly postgres: 'up' | 'down';
  readonly redis: 'up' | 'down';
}

export interface Fence {
  readonly fenced: boolean;
  health(): ClusterHealth;
  stop(): void;
}

export interface FenceOptions {
  node: string;
  log: Pick<EventLog, 'lag' | 'healthy'>;
  redisHealthy(): boolean;
  hub: Pick<Hub, 'fence'>;
  fenceMs: number;
  checkMs?: number;
}

export function startFence(options: FenceOptions): Fence {
  const { log, hub } = options;
  let fenced = false;
  const check = (): void => {
    const now = log.lag() > options.fenceMs;
    if (now === fenced) return;
    fenced = now;
    hub.fence(now);
  };
  const timer = setInterval(check, options.checkMs ?? CLUSTER_FENCE_CHECK_MS);
  timer.unref();
  return {
    get fenced() {
      return fenced;
    },
    health: () => ({
      node: options.node,
      fenced,
      logLagMs: log.lag(),
      postgres: log.healthy() ? 'up' : 'down',
      redis: options.redisHealthy() ? 'up' : 'down',
    }),
    stop: () => clearInterval(timer),
  };
}
