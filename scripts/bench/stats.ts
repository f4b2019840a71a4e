// Order statistics of timings, memory readings, and the roundings every figure goes through.
import { readFileSync } from 'node:fs';

export interface Stats { n: number; median: number; p95: number; min: number; max: number; mean: number }

export const round2 = (x: number) => Math.round(x * 100) / 100;
export const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { n, median: NaN, p95: NaN, min: NaN, max: NaN, mean: NaN };
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!; // nearest rank
  return { n, median: round2(median), p95: round2(p95), min: round2(s[0]!), max: round2(s[n - 1]!), mean: round2(s.reduce((a, b) => a + b, 0) / n) };
}

/** VmRSS of a process, from /proc. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
}

/** Second-half growth of an RSS series: the last sample less the one at half the run. */
export function secondHalfGrowthKiB(samples: Array<{ at: number; rssKiB: number }>): number {
  const last = samples[samples.length - 1]!;
  const half = samples.find((x) => x.at >= last.at / 2) ?? samples[0]!;
  return last.rssKiB - half.rssKiB;
}
