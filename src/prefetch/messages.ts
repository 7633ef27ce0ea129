/**
 * The human-readable `message` of a job, written for the staff who asked for
 * it ("Fetching study 2 of 5 (CT 2024-03-02, 'CT CHEST'): 120 of 300 images").
 * Patient identifiers stay out of messages: the job view names the patient.
 */
import type { JobCounts, JobStudy, PrefetchCriteria } from './types.js';

/** One formatter for all counts: toLocaleString() builds one per call (it showed in prefetch CPU profiles). */
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return COUNT_FORMAT.format(n);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e10) return `${(bytes / 1e9).toFixed(0)} GB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e7) return `${(bytes / 1e6).toFixed(0)} MB`;
  if (bytes >= 1e5) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes > 0) return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
  return '0 MB';
}

/** 20240302 → 2024-03-02 (anything else as is). */
export function formatDate(date: string | undefined): string | undefined {
  return date && /^\d{8}$/.test(date) ? `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}` : date;
}

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** "CT 2024-03-02, 'CT CHEST'". */
export function studyLabel(study: Pick<JobStudy, 'modalities' | 'studyDate' | 'description'>): string {
  const head = [study.modalities.join('/'), formatDate(study.studyDate)].filter(Boolean).join(' ');
  const description = study.description ? `'${study.description.replace(/'/g, '’')}'` : '';
  return [head, description].filter(Boolean).join(', ') || 'no description';
}

export function criteriaText(criteria: PrefetchCriteria): string {
  const parts: string[] = [];
  const { from, to } = criteria.studyDate ?? {};
  if (from && to) parts.push(`dates ${formatDate(from)} to ${formatDate(to)}`);
  else if (from) parts.push(`dates from ${formatDate(from)}`);
  else if (to) parts.push(`dates up to ${formatDate(to)}`);
  if (criteria.modalities?.length) parts.push(`modalities ${criteria.modalities.join(', ')}`);
  return parts.length > 0 ? parts.join(', ') : 'any date, any modality';
}

/** `ahead`: queued jobs that start before this one. */
export function queuedMessage(ahead: number): string {
  if (ahead <= 0) return 'Queued: starts as soon as a prefetch slot is free (prefetch.concurrentJobs)';
  return `Queued: ${plural(ahead, 'prefetch', 'prefetches')} waiting ahead of this one`;
}

export const SEARCHING_MESSAGE = "Looking for the patient's studies in the archive";

/** Position of a study among those the job fetches (1-based) and how many that is. */
export function studyOrdinal(studies: readonly JobStudy[], study: JobStudy): { index: number; total: number } {
  const fetched = studies.filter((s) => s.status !== 'skipped' || s.studyUid === study.studyUid);
  return { index: fetched.findIndex((s) => s.studyUid === study.studyUid) + 1, total: fetched.length };
}

/** While a study runs; `retry` says the archive is failing and the gateway tries again. */
export function fetchingMessage(studies: readonly JobStudy[], study: JobStudy, retry?: { attempt: number; of: number; reason: string }): string {
  const { index, total } = studyOrdinal(studies, study);
  const head = `Fetching study ${index} of ${total} (${studyLabel(study)})`;
  const progress = study.instances > 0 ? `${formatCount(study.instancesDone)} of ${plural(study.instances, 'image', 'images')}` : 'reading the list of images';
  if (retry) return `${head}: ${progress}; ${retry.reason}, trying again (attempt ${retry.attempt} of ${retry.of})`;
  return `${head}: ${progress}`;
}

/** The distinct failure reasons of studies, most frequent first, at most three. */
export function failureSummary(studies: readonly JobStudy[]): string {
  const byReason = new Map<string, number>();
  for (const s of studies) if (s.status === 'failed') byReason.set(s.error ?? 'unknown reason', (byReason.get(s.error ?? 'unknown reason') ?? 0) + 1);
  const sorted = [...byReason.entries()].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, 3).map(([reason, n]) => (sorted.length > 1 ? `${reason} (${plural(n, 'study', 'studies')})` : reason));
  return shown.join('; ') + (sorted.length > 3 ? '; …' : '');
}

function totals(counts: JobCounts): string {
  return `${plural(counts.instancesDone, 'image', 'images')}, ${formatBytes(counts.bytes)}`;
}

export function doneMessage(counts: JobCounts, criteria: PrefetchCriteria): string {
  if (counts.studiesFound === 0) return `Done: no studies of this patient in the archive match (${criteriaText(criteria)})`;
  return `Done: ${plural(counts.studiesDone, 'study', 'studies')}, ${totals(counts)}`;
}

export function partialMessage(counts: JobCounts, studies: readonly JobStudy[], limit: number): string {
  const parts = [`Partial: ${formatCount(counts.studiesDone)} of ${plural(counts.studiesFound, 'study', 'studies')} fetched (${totals(counts)})`];
  if (counts.studiesFailed > 0) parts.push(`${formatCount(counts.studiesFailed)} failed: ${failureSummary(studies)}`);
  if (counts.studiesSkipped > 0) parts.push(`${formatCount(counts.studiesSkipped)} not fetched: more than the limit of ${formatCount(limit)} studies per prefetch`);
  return parts.join('; ');
}

export function failedMessage(counts: JobCounts, studies: readonly JobStudy[]): string {
  return `Failed: none of the ${plural(counts.studiesFound, 'study', 'studies')} could be fetched: ${failureSummary(studies)}`;
}

export function searchFailedMessage(reason: string): string {
  return `Failed: the archive could not be searched for the patient's studies: ${reason}`;
}

export function unlinkedMessage(reconciliationId: string | undefined): string {
  const item = reconciliationId ? `reconciliation item ${reconciliationId}` : 'the reconciliation list';
  return `Failed: this EHR patient is not linked to a patient in the archive yet; ${item} lists the candidates to link, then ask again`;
}

export function cancelledMessage(counts: JobCounts, by: string | undefined, started: boolean): string {
  const who = by && by !== 'anonymous' ? ` by ${by}` : '';
  if (!started || counts.studiesFound === 0) return `Cancelled${who} before any study was fetched`;
  return `Cancelled${who} after ${formatCount(counts.studiesDone)} of ${plural(counts.studiesFound, 'study', 'studies')} (${totals(counts)})`;
}

export function pausedMessage(counts: JobCounts): string {
  const progress = counts.instances > 0 ? ` (${formatCount(counts.instancesDone)} of ${plural(counts.instances, 'image', 'images')} already fetched)` : '';
  return `Paused: the gateway was shut down during this prefetch; it continues where it left off when the gateway starts again${progress}`;
}
