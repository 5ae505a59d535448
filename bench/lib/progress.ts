// Progress on the terminal: which repetition, peer and scenario is running, time elapsed and
// time left. Time left is the plan's estimate for the steps to come, corrected by what the
// steps done so far took (the same step in an earlier repetition, else the estimates' ratio).

import type { PlannedStep } from './plan.js';

const clock = (seconds: number): string => {
  const t = Math.max(0, Math.round(seconds));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
};

export class Progress {
  private next = 0;
  private readonly took: number[] = [];
  private begun = 0;
  constructor(
    private readonly plan: readonly PlannedStep[],
    private readonly reps: number,
    private readonly now: () => number,
    private readonly out: (line: string) => void,
    started = now(),
  ) {
    this.started = started;
  }

  /** Marks the start of the planned step (rep, who, id); planned steps passed over count as not run. */
  begin(rep: number, who: string, id: string): void {
    const i = this.plan.findIndex((st, k) => k >= this.next && st.rep === rep && st.who === who && st.id === id);
    if (i < 0) return;
    this.finish();
    this.next = i;
    this.begun = this.now();
    this.out(`== rep ${rep}/${this.reps} · ${who} · ${id} · elapsed ${clock(this.elapsed())} · about ${clock(this.left())} left`);
  }

  /** Closes the running step (at the next begin, or at the end of the run). */
  finish(): void {
    if (this.begun === 0) return;
    this.took[this.next] = (this.now() - this.begun) / 1000;
    this.begun = 0;
    this.next++;
  }

  private readonly started: number;
  private elapsed(): number {
    return (this.now() - this.started) / 1000;
  }

  /** Seconds left for the running step and those after it. */
  left(): number {
    let est = 0;
    let done = 0;
    this.took.forEach((t, i) => {
      if (t !== undefined) (done += t), (est += this.plan[i]?.seconds ?? 0);
    });
    const ratio = est > 0 ? done / est : 1;
    let left = 0;
    for (let i = this.next; i < this.plan.length; i++) {
      const st = this.plan[i] as PlannedStep;
      // The same step in an earlier repetition is the best guess for this one.
      const same = this.plan.findIndex((p, k) => k < i && this.took[k] !== undefined && p.who === st.who && p.id === st.id);
      left += same >= 0 ? (this.took[same] as number) : st.seconds * ratio;
    }
    return left;
  }
}
