/**
 * How a study's instances are fetched into the edge: per series, one series
 * retrieve (PS3.18 §10.4.1.1.1 Series resource: one archive request, the
 * answer split into the edge) when the edge holds at most half of the series,
 * else one request per missing instance (§10.4.1.1.1 Instance resource). The
 * series answer brings every instance, held ones too; per instance it costs
 * the gateway and the archive a fraction of an instance request (bench/
 * README.md, "Prefetch"), so it pays while about half or more is missing. The
 * half is a judgement from those figures, not a measured optimum.
 */
import type { EdgeCache, InstanceUids } from '../edge/types.js';

/** Largest share of a series the edge may hold for it to be fetched with one series retrieve. */
export const SERIES_RETRIEVE_MAX_HELD = 0.5;

export type FetchTask =
  | { kind: 'instance'; uids: InstanceUids }
  /** `instances`: those of the series the edge does not hold. */
  | { kind: 'series'; study: string; series: string; instances: InstanceUids[] };

function bySeries(instances: InstanceUids[]): InstanceUids[][] {
  const groups = new Map<string, InstanceUids[]>();
  for (const uids of instances) {
    const group = groups.get(uids.series) ?? [];
    group.push(uids);
    groups.set(uids.series, group);
  }
  return [...groups.values()];
}

/** The tasks for a study's instances (in metadata order, series by series). */
export async function planFetch(edge: EdgeCache, study: string, instances: InstanceUids[]): Promise<FetchTask[]> {
  const tasks: FetchTask[] = [];
  for (const group of bySeries(instances)) {
    const series = group[0]!.series;
    const held = new Set((await edge.listInstances(study, series)).map((i) => i.instance));
    const missing = group.filter((u) => !held.has(u.instance));
    const wholeSeries = missing.length >= 2 && group.length - missing.length <= group.length * SERIES_RETRIEVE_MAX_HELD;
    if (wholeSeries) tasks.push({ kind: 'series', study, series, instances: missing });
    // Held ones are checked and counted as reused one by one (fetchInstance if a file turns out damaged).
    for (const uids of wholeSeries ? group.filter((u) => held.has(u.instance)) : group) tasks.push({ kind: 'instance', uids });
  }
  return tasks;
}

/**
 * Runs tasks `concurrency` at a time; tasks pushed while it runs (the instances
 * a series answer did not bring) get workers too. `run` must not throw.
 */
export class TaskPool<T> {
  private next = 0;
  private readonly workers = new Set<Promise<void>>();

  constructor(private readonly tasks: T[], private readonly concurrency: number, private readonly run: (task: T) => Promise<void>, private readonly signal: AbortSignal) {}

  push(tasks: T[]): void {
    this.tasks.push(...tasks);
    this.fill();
  }

  async done(): Promise<void> {
    this.fill();
    while (this.workers.size > 0) await Promise.all([...this.workers]);
  }

  private fill(): void {
    while (this.workers.size < this.concurrency && this.next < this.tasks.length && !this.signal.aborted) {
      const worker: Promise<void> = this.work().finally(() => this.workers.delete(worker));
      this.workers.add(worker);
    }
  }

  private async work(): Promise<void> {
    while (this.next < this.tasks.length && !this.signal.aborted) await this.run(this.tasks[this.next++]!);
  }
}
