/**
 * The live state of one running job: every change goes through here, which
 * recounts, rewrites the message, persists (at once on transitions; at most
 * every `persistEveryMs` or `persistEveryInstances` for progress) and tells
 * listeners (server-sent events, metrics).
 */
import type { PrefetchRepository } from './repository.js';
import { countsOf, type JobError, type JobStatus, type JobStudy, type PrefetchJob } from './types.js';
import { assertTransition, isFinished } from './state-machine.js';
import { fetchingMessage } from './messages.js';

export type JobEvent =
  /** `transition`: a job or study status changed (never throttled by listeners). */
  | { type: 'progress'; transition: boolean; job: PrefetchJob; study?: JobStudy }
  | { type: 'end'; job: PrefetchJob };

export interface TrackerOptions {
  repo: PrefetchRepository;
  emit: (event: JobEvent) => void;
  /** Called for each instance that reached the edge (metrics). */
  onInstance?: (bytes: number, reused: boolean) => void;
  /** A write failed (logged by the caller); the job goes on and the next write carries the state. */
  onPersistError?: (err: unknown) => void;
  persistEveryMs?: number;
  persistEveryInstances?: number;
  now?: () => Date;
}

export class JobTracker {
  private dirty = new Set<JobStudy>();
  private lastPersist = 0;
  private instancesSincePersist = 0;
  private saving: Promise<void> = Promise.resolve();

  constructor(readonly job: PrefetchJob, readonly studies: JobStudy[], private readonly options: TrackerOptions) {
    this.recount();
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
  }

  private recount(): void {
    this.job.counts = countsOf(this.studies, this.job.counts?.studiesHeld ?? 0);
  }

  get finished(): boolean {
    return isFinished(this.job.status);
  }

  /** Queues one write of the job and the studies changed since the last one. */
  private persist(): Promise<void> {
    const job = { ...this.job };
    const studies = [...this.dirty].map((s) => ({ ...s }));
    this.dirty.clear();
    this.lastPersist = Date.now();
    this.instancesSincePersist = 0;
    this.saving = this.saving.then(() => this.options.repo.save(job, studies)).catch((err: unknown) => {
      for (const s of studies) this.dirty.add(this.studies.find((live) => live.studyUid === s.studyUid) ?? s);
      this.options.onPersistError?.(err);
    });
    return this.saving;
  }

  private changed(study: JobStudy | undefined, transition: boolean): Promise<void> {
    this.job.updatedAt = this.now();
    if (study) this.dirty.add(study);
    this.recount();
    this.options.emit({ type: 'progress', transition, job: this.job, ...(study && { study }) });
    const due = transition || Date.now() - this.lastPersist >= (this.options.persistEveryMs ?? 1000) || this.instancesSincePersist >= (this.options.persistEveryInstances ?? 25);
    return due ? this.persist() : Promise.resolve();
  }

  /** queued → running. */
  start(message: string): Promise<void> {
    assertTransition(this.job.status, 'running');
    this.job.status = 'running';
    this.job.startedAt ??= this.now();
    this.job.message = message;
    return this.changed(undefined, true);
  }

  setMessage(message: string, transition = false): Promise<void> {
    this.job.message = message;
    return this.changed(undefined, transition);
  }

  /** The studies found by the search, written once (with warnings and the held count). */
  async listStudies(studies: JobStudy[], held: number, warnings: string[]): Promise<void> {
    this.studies.splice(0, this.studies.length, ...studies);
    this.job.counts.studiesHeld = held;
    this.job.warnings = warnings;
    this.job.studiesListed = true;
    this.job.updatedAt = this.now();
    this.recount();
    this.dirty.clear();
    await this.saving;
    await this.options.repo.saveStudyList({ ...this.job }, studies.map((s) => ({ ...s })));
    this.options.emit({ type: 'progress', transition: true, job: this.job });
  }

  startStudy(study: JobStudy): Promise<void> {
    Object.assign(study, { status: 'running', startedAt: this.now(), instancesDone: 0, instancesReused: 0, bytes: 0, error: undefined, finishedAt: undefined });
    this.job.message = fetchingMessage(this.studies, study);
    return this.changed(study, true);
  }

  /** The study's metadata was read: its exact series and instance counts. */
  studyListed(study: JobStudy, series: number, instances: number): Promise<void> {
    study.series = series;
    study.instances = instances;
    this.job.message = fetchingMessage(this.studies, study);
    return this.changed(study, true);
  }

  instanceDone(study: JobStudy, bytes: number, reused: boolean): Promise<void> {
    study.instancesDone++;
    if (reused) study.instancesReused++;
    study.bytes += bytes;
    this.instancesSincePersist++;
    this.options.onInstance?.(bytes, reused);
    this.job.message = fetchingMessage(this.studies, study);
    return this.changed(study, false);
  }

  retrying(study: JobStudy | undefined, notice: { attempt: number; of: number; reason: string }): Promise<void> {
    if (study) this.job.message = fetchingMessage(this.studies, study, notice);
    else this.job.message = `Looking for the patient's studies in the archive: ${notice.reason}, trying again (attempt ${notice.attempt} of ${notice.of})`;
    return this.changed(study, false);
  }

  finishStudy(study: JobStudy, status: 'done' | 'failed' | 'skipped', error?: string): Promise<void> {
    study.status = status;
    study.error = error;
    study.finishedAt = this.now();
    return this.changed(study, true);
  }

  /** Identity and search results the job learnt (resolution). */
  noteResolution(pacs: PrefetchJob['pacsIdentities'], reconciliationId: string | undefined): void {
    this.job.pacsIdentities = pacs;
    this.job.reconciliationId = reconciliationId;
  }

  /** running|queued → done/partial/failed/cancelled: persisted, then the `end` event. */
  async finish(status: JobStatus, message: string, error?: JobError): Promise<void> {
    if (this.finished) return;
    assertTransition(this.job.status, status);
    this.job.status = status;
    this.job.message = message;
    this.job.error = error;
    this.job.finishedAt = this.now();
    await this.changed(undefined, true);
    this.options.emit({ type: 'end', job: this.job });
  }

  /** running → queued (gateway shutdown): resumable at the next start. */
  async pause(message: string): Promise<void> {
    if (this.finished) return;
    if (this.job.status !== 'queued') assertTransition(this.job.status, 'queued');
    this.job.status = 'queued';
    this.job.message = message;
    await this.changed(undefined, true);
  }

  /** Marks every study not fetched yet as skipped (cancel), without per-study events. */
  skipPending(reason: string): void {
    for (const s of this.studies) {
      if (s.status !== 'queued' && s.status !== 'running') continue;
      Object.assign(s, { status: 'skipped', error: reason, finishedAt: this.now() });
      this.dirty.add(s);
    }
    this.recount();
  }

  /** Waits for the writes queued so far. */
  flush(): Promise<void> {
    if (this.dirty.size > 0) return this.persist();
    return this.saving;
  }
}
