// Memory of another process from /proc/<pid>/status (Linux): VmRSS is the
// resident set now, VmHWM its peak since the process started.
import { readFileSync } from 'node:fs';

export interface MemorySample {
  rssKb: number;
  hwmKb: number;
}

function field(status: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match ? Number(match[1]) : undefined;
}

/** undefined when the process is gone or /proc is not there. */
export function sampleMemory(pid: number): MemorySample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = field(status, 'VmRSS');
    const hwmKb = field(status, 'VmHWM');
    return rssKb === undefined || hwmKb === undefined ? undefined : { rssKb, hwmKb };
  } catch {
    return undefined;
  }
}

export function formatMb(kb: number | undefined): string {
  return kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`;
}
