// Scenario 7: event-log appends per second, run in its own process on the server core.

import { launchNode, SERVER_CORE } from '../lib/proc.js';
import type { Ctx } from './context.js';

export interface AppendFigures {
  appends: number;
  commits: number;
  perSecond: number;
  perCommit: number;
}
export interface EventLogFigures {
  singleFull: AppendFigures;
  singleNormal: AppendFigures;
  groupedFull: AppendFigures;
  groupedNormal: AppendFigures;
  wave: number;
}

export async function eventLog(ctx: Ctx): Promise<EventLogFigures> {
  const child = launchNode('bench/scenarios/eventlogChild.ts', { core: SERVER_CORE, env: { BENCH_EVENTLOG_MS: String(ctx.opts.eventlogMs) } });
  try {
    return await child.next<EventLogFigures>('EVENTLOG', 120_000);
  } finally {
    await child.stop();
  }
}
