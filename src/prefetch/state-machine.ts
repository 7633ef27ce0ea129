/**
 * The job state machine:
 *
 *   queued ──▶ running ──▶ done | partial | failed
 *     │  ▲        │
 *     │  └────────┘  (paused by a gateway shutdown; resumed at the next start)
 *     └──────────────▶ cancelled ◀── running
 *
 * and how the studies' outcomes decide the job's: every study fetched → done;
 * some → partial (failed studies, or studies over the per-job limit); none →
 * failed. A patient without matching studies is done (the message says so).
 */
import { FINISHED_STATUSES, type JobStatus, type JobStudy, type StudyStatus } from './types.js';

const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['queued', 'done', 'partial', 'failed', 'cancelled'],
  done: [],
  partial: [],
  failed: [],
  cancelled: [],
};

export class InvalidTransitionError extends Error {
  constructor(readonly from: JobStatus, readonly to: JobStatus) {
    super(`a prefetch job cannot go from ${from} to ${to}`);
  }
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return NEXT[from].includes(to);
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to);
}

export function isFinished(status: JobStatus): boolean {
  return FINISHED_STATUSES.has(status);
}

/** Studies a (resumed) run still has to fetch, in job order. */
export function pendingStudies(studies: readonly JobStudy[]): JobStudy[] {
  return studies.filter((s) => s.status === 'queued' || s.status === 'running').sort((a, b) => a.position - b.position);
}

/** The job's final status from its studies once none is pending. */
export function outcomeOf(studies: readonly JobStudy[]): 'done' | 'partial' | 'failed' {
  const count = (status: StudyStatus) => studies.filter((s) => s.status === status).length;
  const done = count('done');
  if (done === studies.length) return 'done';
  return done > 0 ? 'partial' : 'failed';
}

/** A study of a run that stopped (shutdown): it starts over at resume, skipping what the edge already has. */
export function resetForResume(study: JobStudy): JobStudy {
  if (study.status !== 'running') return study;
  return { ...study, status: 'queued', instancesDone: 0, instancesReused: 0, bytes: 0 };
}
