// Throughput and latency percentiles over the rounds of one target.
import { meanUse, type CpuUse } from './cpu.js';
import type { RoundResult } from './load.js';

export interface Summary {
  requests: number;
  errors: number;
  retries: number;
  /** All requests over all measured time. */
  reqPerSec: number;
  /** Each round's throughput, in order. */
  roundReqPerSec: number[];
  /** Slowest and fastest round, to show the spread. */
  minRoundReqPerSec: number;
  maxRoundReqPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  bytesPerRequest: number;
  statuses: Record<string, number>;
  headerCounts: Record<string, number>;
  errorSamples: string[];
  /** Mean cores busy per process over the rounds. */
  cpu?: CpuUse;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function summarize(rounds: readonly RoundResult[]): Summary {
  const latencies = rounds.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const elapsedMs = rounds.reduce((n, r) => n + r.elapsedMs, 0);
  const perRound = rounds.map((r) => (r.elapsedMs > 0 ? (r.requests * 1000) / r.elapsedMs : 0));
  const statuses: Record<string, number> = {};
  const headerCounts: Record<string, number> = {};
  for (const r of rounds) {
    addCounts(statuses, r.statuses);
    addCounts(headerCounts, r.headerCounts);
  }
  const bytes = rounds.reduce((n, r) => n + r.bytes, 0);
  return {
    requests,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    retries: rounds.reduce((n, r) => n + r.retries, 0),
    reqPerSec: elapsedMs > 0 ? (requests * 1000) / elapsedMs : 0,
    roundReqPerSec: perRound,
    minRoundReqPerSec: Math.min(...perRound),
    maxRoundReqPerSec: Math.max(...perRound),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length > 0 ? latencies[latencies.length - 1]! : Number.NaN,
    bytesPerRequest: latencies.length > 0 ? bytes / latencies.length : 0,
    statuses,
    headerCounts,
    errorSamples: rounds.flatMap((r) => r.errorSamples).slice(0, 5),
    cpu: meanUse(rounds.map((r) => ({ use: r.cpu, ms: r.elapsedMs }))),
  };
}

/** Share of `key` among all counted values, 0..1 (NaN when nothing was counted). */
export function share(counts: Record<string, number>, key: string): number {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return total === 0 ? Number.NaN : (counts[key] ?? 0) / total;
}
