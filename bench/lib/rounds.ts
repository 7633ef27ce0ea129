// Interleaved measurement: a short warm-up per target, then rounds that
// alternate between the targets (A, B, A, B, ...), so that drift on the
// shared machine (other processes, thermal, page cache) hits both alike.
import { cpuBetween, type CpuProbe } from './cpu.js';
import { runRound, type RoundResult } from './load.js';

export interface Target {
  /** "direct" or "gateway". */
  name: string;
  origin: string;
  /** DICOMweb root path on that origin, e.g. /dicom-web */
  basePath: string;
  /** Response header to count (the gateway's X-Gateway-Cache). */
  countHeader?: string;
}

export interface Schedule {
  rounds: number;
  roundMs: number;
  warmupMs: number;
  concurrency: number;
  maxRequestsPerRound: number;
  /** Records which processes used the CPU during each round. */
  probe?: CpuProbe;
  /** Request headers of every request (e.g. Accept), the same for both targets. */
  headers?: Record<string, string>;
}

/** Request paths below the DICOMweb root; `i` counts up per target from 1. */
export type PathSource = (i: number) => string;

export interface Measured {
  target: Target;
  rounds: RoundResult[];
  warmup: RoundResult;
}

function counter(target: Target, source: PathSource): () => string {
  let i = 1; // index 0 is reserved for the correctness check
  return () => target.basePath + source(i++);
}

export async function measureInterleaved(targets: readonly Target[], source: PathSource, schedule: Schedule): Promise<Measured[]> {
  const next = targets.map((t) => counter(t, source));
  const round = async (t: number, durationMs: number) => {
    const before = schedule.probe?.snapshot();
    const result = await runRound({
      origin: targets[t]!.origin,
      nextPath: next[t]!,
      concurrency: schedule.concurrency,
      durationMs,
      maxRequests: schedule.maxRequestsPerRound,
      countHeader: targets[t]!.countHeader,
      headers: schedule.headers,
    });
    result.cpu = cpuBetween(before, schedule.probe?.snapshot());
    return result;
  };
  const out: Measured[] = [];
  for (let t = 0; t < targets.length; t++) {
    out.push({ target: targets[t]!, rounds: [], warmup: await round(t, schedule.warmupMs) });
  }
  for (let r = 0; r < schedule.rounds; r++) {
    for (let t = 0; t < targets.length; t++) out[t]!.rounds.push(await round(t, schedule.roundMs));
  }
  return out;
}
