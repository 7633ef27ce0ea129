// Peak memory of a process over one phase of a benchmark: VmHWM is reset at the
// start (writing 5 to /proc/<pid>/clear_refs, Linux >= 4.0, own processes
// only) and VmRSS is also sampled, in case the reset is not allowed.
import { writeFileSync } from 'node:fs';
import { sampleMemory, type MemorySample } from './rss.js';

const SAMPLE_EVERY_MS = 100;

export interface PeakReport {
  before?: MemorySample;
  after?: MemorySample;
  /** Highest VmRSS seen by sampling. */
  maxSampledRssKb: number;
  /** Whether VmHWM was reset at the start (else it is the process's lifetime peak). */
  hwmReset: boolean;
}

export class PeakMemoryWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly before?: MemorySample;
  private maxRssKb = 0;
  private readonly hwmReset: boolean;

  constructor(private readonly pid: number) {
    this.hwmReset = resetHwm(pid);
    this.before = sampleMemory(pid);
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  private sample(): void {
    const m = sampleMemory(this.pid);
    if (m) this.maxRssKb = Math.max(this.maxRssKb, m.rssKb);
  }

  stop(): PeakReport {
    clearInterval(this.timer);
    this.sample();
    return { before: this.before, after: sampleMemory(this.pid), maxSampledRssKb: this.maxRssKb, hwmReset: this.hwmReset };
  }
}

function resetHwm(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** One line: RSS before, sampled maximum, VmHWM of the phase, against a limit. */
export function formatPeak(label: string, p: PeakReport, limitMb: number): string {
  const mb = (kb: number | undefined) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
  const peakKb = Math.max(p.after?.hwmKb ?? 0, p.maxSampledRssKb);
  const scope = p.hwmReset ? 'VmHWM of this phase' : 'VmHWM since start (reset not allowed)';
  const verdict = peakKb / 1024 < limitMb ? 'met' : 'MISSED';
  return `${label}: gateway RSS ${mb(p.before?.rssKb)} before, ${mb(p.after?.rssKb)} after, max sampled ${mb(p.maxSampledRssKb)}, ${scope} ${mb(p.after?.hwmKb)} -> target < ${limitMb} MB ${verdict}`;
}
