// Targets over repetitions: each repetition is judged on its own figures (ratios within the
// same repetition), the median of those values decides, and an unreliable step in the
// target's scenario means the target is not met, whatever its figure.

import type { Problem } from './honesty.js';
import type { TargetResult } from './results.js';
import { spread } from './stats.js';

/** Whose figures a target is computed from: a problem of another peer does not touch it. */
export function whoseFigures(t: Pick<TargetResult, 'target' | 'scenario'>): string[] {
  const sio = /Socket\.IO/.test(t.target);
  if (t.scenario.startsWith('cluster')) return /Revocation/.test(t.target) ? ['cluster:beacon3'] : ['cluster:beacon3', ...(sio ? ['cluster:socketio3'] : [])];
  return ['beacon', ...(sio ? ['socketio'] : []), ...(/uWS/.test(t.target) ? ['uws'] : [])];
}

export function combineTargets(perRep: readonly TargetResult[][], problems: readonly Problem[]): TargetResult[] {
  const names: string[] = [];
  for (const list of perRep) for (const t of list) if (!names.includes(t.target)) names.push(t.target);
  return names.map((name) => {
    const reps = perRep.map((list) => list.find((t) => t.target === name));
    const measured = reps.filter((t): t is TargetResult & { value: number } => t?.value !== undefined);
    const base = reps.find((t) => t !== undefined) as TargetResult;
    const uses = whoseFigures(base);
    const bad = problems.filter((p) => p.scenario === base.scenario && uses.includes(p.who));
    const unreliable = bad.length === 0 ? undefined : `rep ${bad[0]?.rep} ${bad[0]?.who}: ${bad[0]?.message}${bad.length > 1 ? ` (+${bad.length - 1} more)` : ''}`;
    if (measured.length === 0) {
      const failed = reps.find((t) => t?.met === false);
      // A figure that already is Beacon's failure needs no second telling of it.
      const told = failed !== undefined && bad.every((p) => failed.figure.includes(p.message.replace(/^step failed: /, '')));
      return { target: name, scenario: base.scenario, figure: (failed ?? base).figure, met: failed !== undefined || unreliable !== undefined ? false : null, ...(unreliable === undefined || told ? {} : { unreliable }) };
    }
    const s = spread(measured.map((t) => t.value));
    // The repetition nearest the median gives the figure's details (secondary ratios, notes).
    const nearest = measured.reduce((a, t) => (Math.abs(t.value - s.median) < Math.abs(a.value - s.median) ? t : a));
    const show = nearest.show ?? ((v: number) => v.toFixed(2));
    const judge = nearest.judge ?? (() => false);
    const missing = perRep.length - measured.length;
    const range = perRep.length > 1 ? ` · median of ${measured.length}: ${show(s.median)} [${show(s.min)} – ${show(s.max)}]${s.varies ? ' **varies >20%**' : ''}${missing > 0 ? `, ${missing} rep(s) not measured` : ''}` : '';
    const met = unreliable === undefined && missing === 0 && judge(s.median);
    return { target: name, scenario: base.scenario, value: s.median, figure: `${nearest.figure}${range}`, met, ...(unreliable === undefined ? {} : { unreliable }) };
  });
}
