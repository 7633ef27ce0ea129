// Who used the two cores during a round: the processes of the benchmark
// (bench client, Orthanc, gateway) from /proc/<pid>/stat, and everything else
// on the machine from /proc/stat. Other work on a shared machine shows up as
// "other" and explains noisy rounds.
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of /proc CPU times on Linux. */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  atMs: number;
  machineBusy: number;
  byName: Record<string, number>;
}

/** Cores in use on average over an interval, per process name and for "other". */
export type CpuUse = Record<string, number>;

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).map(Number);
  return user + nice + system + irq + softirq + steal;
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0; // process gone
  }
}

export class CpuProbe {
  readonly available: boolean;

  constructor(private readonly pids: Readonly<Record<string, number>>) {
    try {
      machineBusyTicks();
      this.available = true;
    } catch {
      this.available = false;
    }
  }

  snapshot(): CpuSnapshot | undefined {
    if (!this.available) return undefined;
    const byName: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) byName[name] = processTicks(pid);
    return { atMs: performance.now(), machineBusy: machineBusyTicks(), byName };
  }
}

export function cpuBetween(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): CpuUse | undefined {
  if (!a || !b || b.atMs <= a.atMs) return undefined;
  const elapsedTicks = ((b.atMs - a.atMs) / 1000) * TICKS_PER_SECOND;
  const use: CpuUse = {};
  let ours = 0;
  for (const name of Object.keys(a.byName)) {
    const ticks = (b.byName[name] ?? 0) - (a.byName[name] ?? 0);
    ours += ticks;
    use[name] = ticks / elapsedTicks;
  }
  use.other = Math.max(0, (b.machineBusy - a.machineBusy - ours) / elapsedTicks);
  return use;
}

/** Time-weighted mean of several intervals' use (each weighted by its duration). */
export function meanUse(parts: ReadonlyArray<{ use?: CpuUse; ms: number }>): CpuUse | undefined {
  const valid = parts.filter((p): p is { use: CpuUse; ms: number } => p.use !== undefined);
  const total = valid.reduce((n, p) => n + p.ms, 0);
  if (total === 0) return undefined;
  const out: CpuUse = {};
  for (const p of valid) for (const [k, v] of Object.entries(p.use)) out[k] = (out[k] ?? 0) + (v * p.ms) / total;
  return out;
}

export function formatUse(use: CpuUse | undefined): string {
  if (!use) return 'n/a';
  return Object.entries(use).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
}
