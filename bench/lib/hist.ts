// Latency histograms (HdrHistogram, microsecond values) that travel between processes as
// compressed base64, and the percentile summary every scenario reports in milliseconds.

import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** 1 µs to 120 s at 3 significant digits. */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Sums encoded histograms (one per worker) into one. */
export function merge(encoded: readonly string[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) total.add(hdr.decodeFromCompressedBase64(e));
  return total;
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

/** Percentiles in milliseconds. */
export function summarize(h: Histogram): Latency {
  if (h.totalCount === 0) return { count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
