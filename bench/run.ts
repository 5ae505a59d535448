// `npm run bench [-- --quick] [--reps=N] [--peers=beacon,socketio,uws] [--only=echo,fanout,...] [--cpu-prof=dir]`:
// runs every scenario against every peer N times (peers interleaved, fresh servers each
// repetition), and writes the medians, ranges, flags and targets to latest.{md,json} and charts.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { latencyBandChart } from './lib/chart.js';
import { compileBench } from './lib/compile.js';
import { fanoutChart } from './lib/fanoutChart.js';
import { repProblems } from './lib/honesty.js';
import { LoadMonitor } from './lib/load.js';
import { parseOptions } from './lib/options.js';
import { fitBudget, FULL_BUDGET_SECONDS, planRun, totalSeconds } from './lib/plan.js';
import type { Peer } from './lib/peers.js';
import { fileLimits, nowMs, pinning, pinSelf } from './lib/proc.js';
import { Progress } from './lib/progress.js';
import { markdown } from './lib/report.js';
import { runRepetition } from './lib/repetition.js';
import { judgeTargets, type RepResults, type Results } from './lib/results.js';
import { medianTree } from './lib/stats.js';
import { combineTargets } from './lib/targets.js';
import { Workers } from './lib/workers.js';
import type { Ctx } from './scenarios/context.js';

const parsed = parseOptions(process.argv.slice(2));
// A full run fits its budget by shortening timed steps; a quick or narrowed one runs as asked.
const fitted = parsed.quick ? { opts: parsed, factor: 1 } : fitBudget(parsed);
const opts = fitted.opts;
const started = nowMs();
const loadAverageAtStart = loadavg()[0]?.toFixed(2) ?? 'n/a';
const log = (line: string): void => void process.stdout.write(`[${((nowMs() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
pinSelf();
const limits = fileLimits();
if (limits.hard < opts.memConns + 1_000) log(`warning: open-files hard limit ${limits.hard} is below ${opts.memConns + 1_000}; the memory scenario may fail`);

const plan = planRun(opts);
const estimate = totalSeconds(plan);
log(`${opts.quick ? "quick" : "full"} run: ${opts.reps} repetition(s) of ${plan.length / opts.reps} steps, estimated ${Math.floor(estimate / 60)} min ${Math.round(estimate % 60)} s` +
  (fitted.factor < 1 ? ` (timed steps shortened to fit ${FULL_BUDGET_SECONDS / 60} min: echo step ${opts.stepMs} ms (was ${parsed.stepMs}), saturation ${opts.saturateMs} ms (was ${parsed.saturateMs}), warm-up ${opts.warmupMs} ms (was ${parsed.warmupMs}), handshakes ${opts.handshakeMs} ms (was ${parsed.handshakeMs}))` : ''));
if (!opts.quick && estimate > FULL_BUDGET_SECONDS) log(`warning: the estimate exceeds the ${FULL_BUDGET_SECONDS / 60}-minute budget even at the shortest steps`);
log(`results go to ${opts.outDir}/`);
// The production build: dist/ as `npm start` makes it, and the bench compiled beside it.
const compileStarted = nowMs();
compileBench();
log(`compiled dist/ and bench/ (esbuild) in ${((nowMs() - compileStarted) / 1000).toFixed(1)} s; every child runs plain node on compiled JS`);

// Children are stopped on Ctrl-C too (workers exit when their IPC channel closes).
const live = new Set<Peer>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping peers`);
    void Promise.all([...live].map((p) => p.proc.stop())).finally(() => process.exit(130));
  });
}

const load = new LoadMonitor();
load.start();
// Other processes' CPU before anything of the bench runs.
await load.measureStart(2_000);
const startLoad = load.report().atStart;
log(`machine load at start: other processes ${((startLoad?.mean ?? 0) * 100).toFixed(1)}% of a core (quiet below ${(load.report().threshold * 100).toFixed(0)}%)`);

const ctx: Ctx = { opts, workers: await Workers.start(opts.workers), log };
const dataDir = mkdtempSync(join(tmpdir(), 'beacon-bench-'));
const progress = new Progress(plan, opts.reps, nowMs, log, started);
const reps: RepResults[] = [];
try {
  for (let rep = 1; rep <= opts.reps; rep++) {
    reps.push(
      await runRepetition(
        {
          ctx,
          dataDir,
          live,
          mark: (r, who, id, scenario) => {
            progress.begin(r, who, id);
            load.during(scenario);
          },
        },
        rep,
      ),
    );
    rmSync(join(dataDir, `rep${rep}`), { recursive: true, force: true });
  }
} finally {
  progress.finish();
  load.stop();
  await ctx.workers.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = medianTree(reps) as Partial<RepResults>;
const problems = reps.flatMap((r, i) => repProblems(i + 1, r));
const results: Results = {
  date: new Date(Date.now() - (nowMs() - started)).toISOString(),
  mode: opts.quick ? 'quick' : 'full',
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: pinning.cores,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    pinned: pinning.available ? 'server core 0, load generator core 1 (taskset)' : 'no (taskset missing or one core)',
    loadAverageAtStart,
    loadAverageAtEnd: loadavg()[0]?.toFixed(2) ?? 'n/a',
  },
  seconds: (nowMs() - started) / 1000,
  peers: median.peers ?? {},
  ...(median.eventlog === undefined ? {} : { eventlog: median.eventlog }),
  ...(median.cluster === undefined ? {} : { cluster: median.cluster }),
  reps,
  load: load.report(),
  problems,
  targets: combineTargets(reps.map((r) => judgeTargets(r)), problems),
};

mkdirSync(opts.outDir, { recursive: true });
const md = markdown(results);
writeFileSync(join(opts.outDir, 'latest.md'), md);
writeFileSync(join(opts.outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(opts.outDir, 'latency.svg'), latencyBandChart(results));
writeFileSync(join(opts.outDir, 'fanout.svg'), fanoutChart(results));
process.stdout.write('\n' + md.split('\n## 1.')[0] + '\n');
log(`wrote ${opts.outDir}/latest.md, latest.json, latency.svg, fanout.svg (estimated ${Math.round(estimate)} s, took ${Math.round(results.seconds)} s)`);
