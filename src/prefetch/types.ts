/**
 * The prefetch job as it is stored and shown: a patient (EHR or PACS identity),
 * a date range and modalities, resolved to archive identities, the studies
 * found, and per study what was fetched into the edge cache.
 */
import type { PatientIdentity } from '../identity/resolver.js';
import type { Restriction } from '../security/principal.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'partial' | 'failed' | 'cancelled';
export type StudyStatus = 'queued' | 'running' | 'done' | 'failed' | 'skipped';

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'done', 'partial', 'failed', 'cancelled'];
export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(['done', 'partial', 'failed', 'cancelled']);

export interface StudyDateRange {
  /** YYYYMMDD, inclusive. */
  from?: string;
  /** YYYYMMDD, inclusive. */
  to?: string;
}

export interface PrefetchCriteria {
  studyDate?: StudyDateRange;
  /** Modality codes (CS), e.g. CT, MR: a study matches when any of its modalities is listed. */
  modalities?: string[];
}

export interface JobCounts {
  /** Studies of the patient that match the criteria (including those over the per-job limit). */
  studiesFound: number;
  studiesDone: number;
  studiesFailed: number;
  /** Not fetched: over the per-job limit, or the job was cancelled first. */
  studiesSkipped: number;
  /** Held back by the identity layer for reconciliation (demographics disagree with the link). */
  studiesHeld: number;
  series: number;
  /** Instances of the studies to fetch (from the archive's study metadata once read, its search answer before). */
  instances: number;
  /** Instances in the edge cache for this job (downloaded now or already there). */
  instancesDone: number;
  /** Of instancesDone: found in the edge cache, not downloaded again. */
  instancesReused: number;
  /** Bytes of instancesDone. */
  bytes: number;
}

export interface JobError {
  code: string;
  /** What went wrong, in words a support desk understands. */
  reason: string;
}

export interface PrefetchJob {
  id: string;
  status: JobStatus;
  /** The patient identity as asked. */
  patient: PatientIdentity;
  /** The archive identities it resolved to (empty until resolved). */
  pacsIdentities: PatientIdentity[];
  reconciliationId?: string;
  criteria: PrefetchCriteria;
  counts: JobCounts;
  message: string;
  error?: JobError;
  /** Things staff should know that are not errors (held studies, the per-job limit). */
  warnings: string[];
  /** Principal id of the caller that created the job. */
  createdBy: string;
  /** The creator's data restriction (undefined: unrestricted): the job fetches only what the creator may read. */
  restriction?: Restriction;
  /** The gateway's public DICOMweb root as the creator saw it: the key of the QIDO and metadata cache entries warmed. */
  baseUrl: string;
  /** True once the studies were found and listed (a resumed job does not search again). */
  studiesListed: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
}

export interface JobStudy {
  studyUid: string;
  /** Order in the job (0-based): studies are fetched in this order. */
  position: number;
  /** YYYYMMDD as the archive has it. */
  studyDate?: string;
  description?: string;
  modalities: string[];
  status: StudyStatus;
  series: number;
  instances: number;
  instancesDone: number;
  instancesReused: number;
  bytes: number;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
}

export function emptyCounts(): JobCounts {
  return { studiesFound: 0, studiesDone: 0, studiesFailed: 0, studiesSkipped: 0, studiesHeld: 0, series: 0, instances: 0, instancesDone: 0, instancesReused: 0, bytes: 0 };
}

/** Job counts from its studies (the held count is the job's own). */
export function countsOf(studies: readonly JobStudy[], held: number): JobCounts {
  const counts = emptyCounts();
  counts.studiesFound = studies.length;
  counts.studiesHeld = held;
  for (const s of studies) {
    if (s.status === 'done') counts.studiesDone++;
    else if (s.status === 'failed') counts.studiesFailed++;
    else if (s.status === 'skipped') counts.studiesSkipped++;
    if (s.status === 'skipped' && s.instancesDone === 0) continue;
    counts.series += s.series;
    counts.instances += s.instances;
    counts.instancesDone += s.instancesDone;
    counts.instancesReused += s.instancesReused;
    counts.bytes += s.bytes;
  }
  return counts;
}
