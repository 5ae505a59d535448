// Statistics over repetitions: the median, the min-max range and the variation flag of one
// figure, and the median of a whole results tree (every number the median of its repetitions).

/** A figure whose range exceeds this fraction of its median is flagged as varying. */
export const VARIATION_LIMIT = 0.2;

/** Median of the finite values (NaN when there are none): impossible values are flagged elsewhere. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Finite values among the repetitions. */
  n: number;
  /** (max - min) / |median| > VARIATION_LIMIT, with at least two values. */
  varies: boolean;
}

export function spread(xs: readonly (number | undefined)[]): Spread {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const med = median(v);
  const min = v.length === 0 ? NaN : Math.min(...v);
  const max = v.length === 0 ? NaN : Math.max(...v);
  // A zero median with any range is as varying as it gets; all zeros do not vary.
  const varies = v.length >= 2 && max > min && (med === 0 || (max - min) / Math.abs(med) > VARIATION_LIMIT);
  return { median: med, min, max, n: v.length, varies };
}

/** Fields that name an entry of a list of figures, so repetitions' lists are matched by them, not by index. */
const KEYS = ['connections', 'subscribers', 'rate', 'channel', 'batch'] as const;

function keyOf(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const k = KEYS.find((f) => f in x);
  return k === undefined ? undefined : `${k}=${String((x as Record<string, unknown>)[k])}`;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The median tree of several repetitions' results: numbers become the median of the
 * repetitions that have them; a flag is true if any repetition raised it (a marked step
 * stays marked); strings lists are united; lists of figures are matched by their key field.
 */
export function medianTree(trees: readonly unknown[]): unknown {
  const present = trees.filter((t) => t !== undefined);
  const first = present[0];
  if (first === undefined) return undefined;
  if (typeof first === 'number') return median(present.filter((t): t is number => typeof t === 'number'));
  if (typeof first === 'boolean') return present.some((t) => t === true);
  if (Array.isArray(first)) {
    const lists = present.filter(Array.isArray) as unknown[][];
    if (lists.every((l) => l.every((x) => typeof x !== 'object'))) return [...new Set(lists.flat())];
    const order: string[] = [];
    const groups = new Map<string, unknown[]>();
    for (const l of lists) {
      l.forEach((x, i) => {
        const k = keyOf(x) ?? `#${i}`;
        if (!groups.has(k)) (order.push(k), groups.set(k, []));
        groups.get(k)?.push(x);
      });
    }
    return order.map((k) => medianTree(groups.get(k) ?? []));
  }
  if (isRecord(first)) {
    const out: Record<string, unknown> = {};
    const keys = [...new Set(present.filter(isRecord).flatMap((t) => Object.keys(t)))];
    for (const k of keys) out[k] = medianTree(present.filter(isRecord).map((t) => t[k]));
    return out;
  }
  return first;
}

/** Every numeric leaf's spread over the repetitions, by path (`beacon.echo.steps[rate=1000].p99`). */
export function leafSpreads(trees: readonly unknown[], path = ''): Array<{ path: string } & Spread> {
  const present = trees.filter((t) => t !== undefined);
  const first = present[0];
  if (typeof first === 'number') return [{ path, ...spread(present.map((t) => (typeof t === 'number' ? t : undefined))) }];
  if (Array.isArray(first)) {
    const groups = new Map<string, unknown[]>();
    for (const l of present.filter(Array.isArray) as unknown[][]) {
      l.forEach((x, i) => {
        const k = keyOf(x) ?? `${i}`;
        groups.set(k, [...(groups.get(k) ?? []), x]);
      });
    }
    return [...groups].flatMap(([k, xs]) => leafSpreads(xs, `${path}[${k}]`));
  }
  if (isRecord(first)) {
    const keys = [...new Set(present.filter(isRecord).flatMap((t) => Object.keys(t)))];
    return keys.flatMap((k) => leafSpreads(present.filter(isRecord).map((t) => t[k]), path === '' ? k : `${path}.${k}`));
  }
  return [];
}
