/**
 * Prometheus metrics of prefetch jobs, on the gateway's registry
 * (src/ops/metrics.ts): jobs by status (read from the job store at scrape
 * time), jobs finished, studies, instances and bytes fetched, running and
 * queued jobs.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PrefetchRepository } from './repository.js';
import type { JobStatus, JobStudy } from './types.js';

export class PrefetchMetrics {
  private readonly jobsFinished: Counter<'status'>;
  private readonly studies: Counter<'status'>;
  private readonly instances: Counter<'source'>;
  private readonly bytes: Counter<'source'>;
  private readonly runningJobs: Gauge;
  private readonly queuedJobs: Gauge;
  private readonly counters = { instancesDownloaded: 0, instancesReused: 0, bytesDownloaded: 0, jobsFinished: 0 };

  constructor(registry: Registry, repo: PrefetchRepository) {
    const registers = [registry];
    this.jobsFinished = new Counter({ name: 'gateway_prefetch_jobs_finished_total', help: 'Prefetch jobs that ended, by final status', labelNames: ['status'], registers });
    this.studies = new Counter({ name: 'gateway_prefetch_studies_total', help: 'Studies of finished prefetch jobs, by outcome (done, failed, skipped)', labelNames: ['status'], registers });
    this.instances = new Counter({ name: 'gateway_prefetch_instances_total', help: 'Instances a prefetch put in the edge cache: downloaded from the archive, or reused (already there)', labelNames: ['source'], registers });
    this.bytes = new Counter({ name: 'gateway_prefetch_bytes_total', help: 'Bytes of the instances counted by gateway_prefetch_instances_total', labelNames: ['source'], registers });
    this.runningJobs = new Gauge({ name: 'gateway_prefetch_running_jobs', help: 'Prefetch jobs running now', registers });
    this.queuedJobs = new Gauge({ name: 'gateway_prefetch_queued_jobs', help: 'Prefetch jobs waiting for a free slot', registers });
    new Gauge({
      name: 'gateway_prefetch_jobs',
      help: 'Prefetch jobs kept in the state database, by status (finished jobs are kept prefetch.retentionHours)',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await repo.countByStatus().catch(() => undefined);
        if (!counts) return;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }

  instance(bytes: number, reused: boolean): void {
    const source = reused ? 'reused' : 'downloaded';
    this.instances.inc({ source });
    this.bytes.inc({ source }, bytes);
    if (reused) this.counters.instancesReused++;
    else {
      this.counters.instancesDownloaded++;
      this.counters.bytesDownloaded += bytes;
    }
  }

  finished(status: JobStatus, studies: readonly JobStudy[]): void {
    this.jobsFinished.inc({ status });
    this.counters.jobsFinished++;
    for (const s of studies) if (s.status === 'done' || s.status === 'failed' || s.status === 'skipped') this.studies.inc({ status: s.status });
  }

  setActive(running: number, queued: number): void {
    this.runningJobs.set(running);
    this.queuedJobs.set(queued);
  }

  /** Since this process started, for /status. */
  totals(): Readonly<typeof this.counters> {
    return { ...this.counters };
  }
}
