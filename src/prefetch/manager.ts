/**
 * Schedules prefetch jobs: FIFO queue, `concurrentJobs` running at once,
 * resume at start of what a previous process left queued or running, cancel
 * (in-flight downloads aborted), pause on shutdown (resumable), retention of
 * finished jobs, and the events listeners subscribe to.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import { isAbortError } from '../upstream/errors.js';
import { cancelledMessage, pausedMessage, queuedMessage } from './messages.js';
import type { PrefetchMetrics } from './metrics.js';
import type { PrefetchRepository } from './repository.js';
import type { JobRunner } from './runner.js';
import { isFinished, resetForResume } from './state-machine.js';
import { JobTracker, type JobEvent } from './tracker.js';
import type { JobStudy, PrefetchJob } from './types.js';

export interface ManagerDeps {
  repo: PrefetchRepository;
  runner: Pick<JobRunner, 'run'>;
  config: GatewayConfig['prefetch'];
  log: Logger;
  metrics: PrefetchMetrics;
}

interface Running {
  controller: AbortController;
  tracker?: JobTracker;
  done: Promise<void>;
  cancelledBy?: string;
}

const CANCEL = 'cancelled';
const SHUTDOWN = 'gateway shutdown';
const HOUR_MS = 3_600_000;

export class PrefetchManager {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly events = new EventEmitter().setMaxListeners(0);
  private sweepTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: ManagerDeps) {}

  get accepting(): boolean {
    return !this.closed && this.deps.config.enabled;
  }

  /** Resumes unfinished jobs (oldest first) and starts the retention sweep. */
  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), HOUR_MS).unref();
    if (!this.deps.config.enabled) return;
    const unfinished = await this.deps.repo.unfinishedJobs();
    for (const job of unfinished) this.queue.push(job.id);
    if (unfinished.length > 0) this.deps.log.info({ jobs: unfinished.length }, 'prefetch: resuming jobs left by the previous run');
    this.pump();
  }

  async submit(job: PrefetchJob): Promise<PrefetchJob> {
    job.message = queuedMessage(this.queue.length);
    await this.deps.repo.insertJob(job);
    this.queue.push(job.id);
    this.pump();
    return (await this.get(job.id))?.job ?? job;
  }

  /** The live state of a running job, else the stored one; a queued job's message tells its place. */
  async get(id: string): Promise<{ job: PrefetchJob; studies: JobStudy[] } | undefined> {
    const tracker = this.running.get(id)?.tracker;
    if (tracker) return { job: { ...tracker.job }, studies: tracker.studies.map((s) => ({ ...s })) };
    const job = await this.deps.repo.getJob(id);
    return job && { job: this.live(job), studies: await this.deps.repo.listStudies(id) };
  }

  /** A stored job with what only this process knows: a running job's latest counts, a queued job's place. */
  private live(job: PrefetchJob): PrefetchJob {
    const tracker = this.running.get(job.id)?.tracker;
    if (tracker) return { ...tracker.job };
    const place = this.queue.indexOf(job.id);
    return job.status === 'queued' && place >= 0 && !this.closed ? { ...job, message: queuedMessage(place) } : job;
  }

  async list(filter: Parameters<PrefetchRepository['listJobs']>[0]): Promise<PrefetchJob[]> {
    return (await this.deps.repo.listJobs(filter)).map((job) => this.live(job));
  }

  /** Listens to one job's events until the returned function is called. */
  subscribe(id: string, listener: (event: JobEvent) => void): () => void {
    this.events.on(id, listener);
    return () => this.events.off(id, listener);
  }

  /** Listeners of one job's events (server-sent event streams open on it). */
  subscribers(id: string): number {
    return this.events.listenerCount(id);
  }

  /** Listens for the manager closing (server-sent event streams end then). */
  onClose(listener: () => void): () => void {
    this.events.once('close', listener);
    return () => this.events.off('close', listener);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.deps.config.concurrentJobs && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const entry: Running = { controller: new AbortController(), done: Promise.resolve() };
      this.running.set(id, entry);
      entry.done = this.execute(id, entry).finally(() => {
        this.running.delete(id);
        this.deps.metrics.setActive(this.running.size, this.queue.length);
        this.pump();
      });
    }
    this.deps.metrics.setActive(this.running.size, this.queue.length);
  }

  private newTracker(job: PrefetchJob, studies: JobStudy[]): JobTracker {
    return new JobTracker(job, studies, {
      repo: this.deps.repo,
      emit: (event) => this.events.emit(job.id, event),
      onInstance: (bytes, reused) => this.deps.metrics.instance(bytes, reused),
      onPersistError: (err) => this.deps.log.error({ err, job: job.id }, 'prefetch: could not save job progress'),
    });
  }

  private async execute(id: string, entry: Running): Promise<void> {
    try {
      const job = await this.deps.repo.getJob(id);
      if (!job || isFinished(job.status)) return;
      if (job.status === 'running') job.status = 'queued'; // left running by a process that stopped
      const tracker = this.newTracker(job, (await this.deps.repo.listStudies(id)).map(resetForResume));
      entry.tracker = tracker;
      await this.runTracked(tracker, entry);
      if (tracker.finished) this.deps.metrics.finished(tracker.job.status, tracker.studies);
    } catch (err) {
      this.deps.log.error({ err, job: id }, 'prefetch: job could not be run');
    }
  }

  private async runTracked(tracker: JobTracker, entry: Running): Promise<void> {
    const signal = entry.controller.signal;
    try {
      if (!signal.aborted) await this.deps.runner.run(tracker, signal);
    } catch (err) {
      if (!signal.aborted && !isAbortError(err)) {
        this.deps.log.error({ err, job: tracker.job.id }, 'prefetch: job failed on an internal error');
        tracker.skipPending('not fetched: the job stopped on an internal error of the gateway');
        await tracker.finish('failed', 'Failed: an internal error of the gateway stopped this prefetch (logged); ask again or contact support', { code: 'INTERNAL_ERROR', reason: 'internal error (logged)' });
        return;
      }
    }
    if (!signal.aborted || tracker.finished) return;
    if (signal.reason === CANCEL) {
      tracker.skipPending('not fetched: the prefetch was cancelled');
      await tracker.finish('cancelled', cancelledMessage(tracker.job.counts, entry.cancelledBy, tracker.job.startedAt !== undefined));
    } else {
      await tracker.pause(pausedMessage(tracker.job.counts));
    }
    await tracker.flush();
  }

  /** Cancels a queued or running job; returns its state after, or undefined when unknown. */
  async cancel(id: string, by: string): Promise<{ job: PrefetchJob; studies: JobStudy[] } | undefined> {
    const entry = this.running.get(id);
    if (entry) {
      entry.cancelledBy = by;
      entry.controller.abort(CANCEL);
      await entry.done;
      return this.get(id);
    }
    const found = await this.get(id);
    if (!found || isFinished(found.job.status)) return found;
    const place = this.queue.indexOf(id);
    if (place >= 0) this.queue.splice(place, 1);
    const tracker = this.newTracker(found.job, found.studies);
    tracker.skipPending('not fetched: the prefetch was cancelled');
    await tracker.finish('cancelled', cancelledMessage(tracker.job.counts, by, false));
    await tracker.flush();
    this.deps.metrics.finished('cancelled', tracker.studies);
    this.pump();
    return this.get(id);
  }

  private async sweep(): Promise<void> {
    try {
      const before = new Date(Date.now() - this.deps.config.retentionHours * HOUR_MS).toISOString();
      const deleted = await this.deps.repo.deleteFinishedBefore(before);
      if (deleted > 0) this.deps.log.info({ deleted }, 'prefetch: finished jobs past retention deleted');
    } catch (err) {
      this.deps.log.warn({ err }, 'prefetch: retention sweep failed');
    }
  }

  /** Stops running jobs (saved as queued, resumed at the next start); later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.events.emit('close');
    const entries = [...this.running.values()];
    for (const entry of entries) entry.controller.abort(SHUTDOWN);
    await Promise.allSettled(entries.map((e) => e.done));
  }

  /** For /status: jobs running and queued, open event streams, totals since start. */
  summary(): { enabled: boolean; running: number; queued: number; eventStreams: number } {
    const eventStreams = this.events.eventNames().filter((n) => n !== 'close').reduce((sum, n) => sum + this.events.listenerCount(n), 0);
    return { enabled: this.deps.config.enabled, running: this.running.size, queued: this.queue.length, eventStreams, ...this.deps.metrics.totals() };
  }
}
