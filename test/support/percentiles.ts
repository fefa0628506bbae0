// The step timings' summary, as bench/render.bench.ts writes it: the median, the 95th percentile and
// the largest, in ms. The p95 is the sample at index floor(0.95 n) of the sorted list (the nearest
// rank above), clamped to the last: with under 20 samples it is the largest.

export interface Percentiles {
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  steps: number;
}

export function percentiles(xs: readonly number[]): Percentiles {
  if (xs.length === 0) throw new Error('percentiles of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { medianMs: r(s[Math.floor(s.length / 2)]), p95Ms: r(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]), maxMs: r(s[s.length - 1]), steps: s.length };
}
