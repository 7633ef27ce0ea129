/**
 * The JSON shapes of the prefetch API. Internal fields (the creator's
 * restriction, the cache key base URL, the search bookkeeping) stay inside.
 */
import type { JobStudy, PrefetchJob } from './types.js';

export interface JobLinks {
  self: string;
  events: string;
}

export function jobLinks(apiRoot: string, id: string): JobLinks {
  return { self: `${apiRoot}/api/prefetch/${id}`, events: `${apiRoot}/api/prefetch/${id}/events` };
}

export function studyView(s: JobStudy) {
  return {
    studyInstanceUid: s.studyUid,
    ...(s.studyDate && { studyDate: s.studyDate }),
    ...(s.description && { description: s.description }),
    modalities: s.modalities,
    status: s.status,
    series: s.series,
    instances: s.instances,
    instancesDone: s.instancesDone,
    instancesReused: s.instancesReused,
    bytes: s.bytes,
    ...(s.error && { error: s.error }),
    ...(s.startedAt && { startedAt: s.startedAt }),
    ...(s.finishedAt && { finishedAt: s.finishedAt }),
  };
}

/** One line of GET /api/prefetch: everything but the studies. */
export function jobSummaryView(job: PrefetchJob, apiRoot: string) {
  return {
    id: job.id,
    status: job.status,
    message: job.message,
    patient: job.patient,
    resolvedPatients: job.pacsIdentities,
    ...(job.reconciliationId && { reconciliationId: job.reconciliationId }),
    criteria: job.criteria,
    counts: job.counts,
    ...(job.warnings.length > 0 && { warnings: job.warnings }),
    ...(job.error && { error: job.error }),
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    ...(job.startedAt && { startedAt: job.startedAt }),
    ...(job.finishedAt && { finishedAt: job.finishedAt }),
    updatedAt: job.updatedAt,
    links: jobLinks(apiRoot, job.id),
  };
}

/** GET /api/prefetch/{id}, and the `snapshot` and `end` events. */
export function jobView(job: PrefetchJob, studies: readonly JobStudy[], apiRoot: string) {
  return { ...jobSummaryView(job, apiRoot), studies: studies.map(studyView) };
}

/** A `progress` event: the job's status, message and counts, and the study that changed. */
export function progressView(job: PrefetchJob, study: JobStudy | undefined) {
  return {
    id: job.id,
    status: job.status,
    message: job.message,
    counts: job.counts,
    updatedAt: job.updatedAt,
    ...(study && { study: studyView(study) }),
  };
}
