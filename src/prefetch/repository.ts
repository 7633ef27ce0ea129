/**
 * Where prefetch jobs are kept. Async so that a PostgreSQL implementation can
 * follow the SQLite one (sqlite-repository.ts) without changing callers.
 */
import type { JobStatus, JobStudy, PrefetchJob } from './types.js';

export interface JobListFilter {
  statuses?: readonly JobStatus[];
  /** Only jobs created by this principal id. */
  createdBy?: string;
  limit: number;
}

export interface PrefetchRepository {
  insertJob(job: PrefetchJob): Promise<void>;
  getJob(id: string): Promise<PrefetchJob | undefined>;
  /** Newest first. */
  listJobs(filter: JobListFilter): Promise<PrefetchJob[]>;
  /** Jobs left queued or running (by a previous gateway process), oldest first. */
  unfinishedJobs(): Promise<PrefetchJob[]>;
  /** In job order. */
  listStudies(jobId: string): Promise<JobStudy[]>;
  /** Writes the job row and the given studies in one transaction (progress, transitions). */
  save(job: PrefetchJob, studies?: readonly JobStudy[]): Promise<void>;
  /** Replaces the job's study list (once, after the search) together with the job row. */
  saveStudyList(job: PrefetchJob, studies: readonly JobStudy[]): Promise<void>;
  /** Deletes finished jobs that ended before `isoTime`; returns how many. */
  deleteFinishedBefore(isoTime: string): Promise<number>;
  countByStatus(): Promise<Record<JobStatus, number>>;
}
