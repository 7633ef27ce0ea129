/**
 * Runs one job from queued (or resumed) to its end: resolve the patient
 * identity (src/identity), find the studies (once; a resumed job keeps its
 * list), then fetch them one after the other. Aborts (cancel, shutdown) are
 * rethrown for the manager to settle; everything else ends in a status with a
 * message, never silently.
 */
import type { Logger } from 'pino';
import type { IdentityResolution, IdentityResolver, ScreenedStudies, StudyRow } from '../identity/resolver.js';
import type { QidoService } from '../dicomweb/qido/service.js';
import { reasonOf } from './errors.js';
import { searchStudies, toJobStudies, visibleUniqueRows } from './find-studies.js';
import { doneMessage, failedMessage, formatCount, partialMessage, SEARCHING_MESSAGE, searchFailedMessage, unlinkedMessage } from './messages.js';
import { abortError, withRetry, type RetryPolicy } from './retry.js';
import { outcomeOf, pendingStudies } from './state-machine.js';
import type { StudyFetcher } from './study-fetch.js';
import type { JobTracker } from './tracker.js';

export interface RunnerDeps {
  identity: IdentityResolver;
  qido: QidoService;
  fetcher: Pick<StudyFetcher, 'fetchStudy'>;
  retry: RetryPolicy;
  maxStudiesPerJob: number;
  upstreamName: string;
  log: Logger;
}

export class JobRunner {
  constructor(private readonly deps: RunnerDeps) {}

  async run(tracker: JobTracker, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal);
    await tracker.start(tracker.job.studiesListed ? 'Resuming where the previous run of the gateway stopped' : SEARCHING_MESSAGE);
    if (!tracker.job.studiesListed && !(await this.discover(tracker, signal))) return;
    for (const study of pendingStudies(tracker.studies)) {
      if (signal.aborted) throw abortError(signal);
      await this.deps.fetcher.fetchStudy(tracker, study, tracker.job.baseUrl, signal);
    }
    if (signal.aborted) throw abortError(signal);
    await this.finish(tracker);
  }

  private async finish(tracker: JobTracker): Promise<void> {
    const { counts, criteria } = tracker.job;
    if (counts.studiesFound === 0) return tracker.finish('done', doneMessage(counts, criteria));
    const status = outcomeOf(tracker.studies);
    if (status === 'done') return tracker.finish('done', doneMessage(counts, criteria));
    const failed = tracker.studies.find((s) => s.status === 'failed');
    const error = failed ? { code: 'STUDIES_FAILED', reason: failed.error ?? 'unknown reason' } : { code: 'OVER_LIMIT', reason: `more than ${this.deps.maxStudiesPerJob} studies` };
    if (status === 'partial') return tracker.finish('partial', partialMessage(counts, tracker.studies, this.deps.maxStudiesPerJob), error);
    return tracker.finish('failed', failedMessage(counts, tracker.studies), error);
  }

  /** Resolves and searches; false when the job already ended (not linked, search failed). */
  private async discover(tracker: JobTracker, signal: AbortSignal): Promise<boolean> {
    const { job } = tracker;
    const resolution = await this.deps.identity.resolve(job.patient);
    tracker.noteResolution(resolution.pacs, resolution.reconciliationId);
    if (resolution.pacs.length === 0) {
      await tracker.finish('failed', unlinkedMessage(resolution.reconciliationId), { code: 'PATIENT_NOT_LINKED', reason: 'the EHR patient is not linked to a patient in the archive' });
      return false;
    }
    let found: { rows: StudyRow[]; truncated: boolean };
    try {
      found = await this.search(tracker, resolution, signal);
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      const reason = reasonOf(err, this.deps.upstreamName);
      this.deps.log.warn({ code: reason.code, job: job.id }, 'prefetch: study search failed');
      await tracker.finish('failed', searchFailedMessage(reason.reason), reason);
      return false;
    }
    const screened = await this.deps.identity.screenStudies(resolution, visibleUniqueRows(found.rows, job.restriction));
    const limit = this.deps.maxStudiesPerJob;
    const studies = toJobStudies(screened.kept, limit, `not fetched: more than the limit of ${formatCount(limit)} studies per prefetch`);
    await tracker.listStudies(studies, screened.held, this.warnings(screened, found.truncated, studies.length, limit));
    return true;
  }

  private async search(tracker: JobTracker, resolution: IdentityResolution, signal: AbortSignal): Promise<{ rows: StudyRow[]; truncated: boolean }> {
    const rows: StudyRow[] = [];
    let truncated = false;
    const onRetry = (n: { attempt: number; of: number; error: unknown }) => void tracker.retrying(undefined, { attempt: n.attempt, of: n.of, reason: reasonOf(n.error, this.deps.upstreamName).reason });
    for (const identity of resolution.pacs) {
      const result = await withRetry(this.deps.retry, () => searchStudies(this.deps.qido, identity, tracker.job.criteria, tracker.job.baseUrl), signal, onRetry);
      rows.push(...result.rows);
      truncated ||= result.truncated;
    }
    return { rows, truncated };
  }

  private warnings(screened: ScreenedStudies, truncated: boolean, found: number, limit: number): string[] {
    const out: string[] = [];
    const { held, excluded = 0, reconciliationIds = [] } = screened;
    const items = reconciliationIds.length > 0 ? ` (reconciliation ${reconciliationIds.length === 1 ? 'item' : 'items'} ${reconciliationIds.slice(0, 5).join(', ')}${reconciliationIds.length > 5 ? ', …' : ''})` : '';
    if (held > 0) out.push(`${formatCount(held)} ${held === 1 ? 'study was' : 'studies were'} held back for reconciliation: the patient details in the archive disagree with the EHR link${items}`);
    if (excluded > 0) out.push(`${formatCount(excluded)} ${excluded === 1 ? 'study was' : 'studies were'} left out: a reconciliation decided ${excluded === 1 ? 'it is' : 'they are'} not this patient's`);
    if (truncated) out.push('The archive holds more matching studies than one search returns; narrow the date range to fetch the others');
    if (found > limit) out.push(`${formatCount(found - limit)} of ${formatCount(found)} studies are over the limit of ${formatCount(limit)} studies per prefetch and were not fetched`);
    return out;
  }
}
