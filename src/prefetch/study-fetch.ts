/**
 * Fetching one study into the edge cache: its WADO-RS metadata (PS3.18
 * §10.4.1.1.2) from the archive, kept beside the instances and seeded into the
 * metadata cache, then every instance it lists (§10.4.1.1.1, as stored:
 * transfer-syntax=*): a series the edge holds little of with one series
 * retrieve (EdgeCache.fetchSeries), the others instance by instance
 * (fetchInstance), skipping those the edge already holds (a resumed job does
 * not download them again), `instanceConcurrency` downloads at a time (see
 * fetch-plan.ts). What a series answer did not bring is fetched instance by
 * instance with the usual retries. An archive outage ends the study at once
 * (after retries); a failure of single instances lets the others finish first.
 */
import type { Logger } from 'pino';
import type { MetadataCache } from '../cache/metadata-cache.js';
import type { QidoService } from '../dicomweb/qido/service.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import type { EdgeCache, InstanceUids } from '../edge/types.js';
import { GatewayError, NotFoundError, UpstreamFailureError } from '../http/errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { isAbortError } from '../upstream/errors.js';
import { reasonOf } from './errors.js';
import { planFetch, TaskPool, type FetchTask } from './fetch-plan.js';
import { formatCount } from './messages.js';
import { abortError, withRetry, type RetryNotice, type RetryPolicy } from './retry.js';
import type { JobTracker } from './tracker.js';
import type { JobStudy } from './types.js';
import { warmMetadata, warmSeriesSearch } from './warm-caches.js';

export interface StudyFetchDeps {
  upstream: UpstreamClient;
  edge: EdgeCache;
  metadataCache: MetadataCache;
  qido: QidoService;
  retry: RetryPolicy;
  instanceConcurrency: number;
  log: Logger;
}

/**
 * Errors after which the rest of the study would fail the same way: the
 * archive as a whole is failing, or the edge cannot take more.
 */
const STUDY_STOPPING_CODES = new Set(['UPSTREAM_UNREACHABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_CIRCUIT_OPEN', 'GATEWAY_BUSY', 'EDGE_FULL', 'EDGE_CLOSED', 'EDGE_DISABLED']);

export function stopsStudy(err: unknown): boolean {
  return err instanceof GatewayError && STUDY_STOPPING_CODES.has(err.code);
}

type Dataset = Record<string, { Value?: unknown[] } | undefined>;

/** Study/Series/SOP Instance UIDs of every dataset of a study's metadata (valid UIDs only, each once). */
export function instancesOf(metadata: readonly unknown[]): InstanceUids[] {
  const seen = new Set<string>();
  const out: InstanceUids[] = [];
  for (const d of metadata as Dataset[]) {
    const [study, series, instance] = ['0020000D', '0020000E', '00080018'].map((t) => d?.[t]?.Value?.[0]);
    if (typeof study !== 'string' || typeof series !== 'string' || typeof instance !== 'string') continue;
    if (![study, series, instance].every(isSafeUidSegment) || seen.has(instance)) continue;
    seen.add(instance);
    out.push({ study, series, instance });
  }
  return out;
}

interface InstanceOutcome {
  failed: number;
  firstReason?: string;
  /** An archive outage (or a full edge) that ended the study early. */
  outage?: unknown;
}

export class StudyFetcher {
  constructor(private readonly deps: StudyFetchDeps) {}

  private onRetry(tracker: JobTracker, study: JobStudy) {
    return (notice: RetryNotice) => void tracker.retrying(study, { attempt: notice.attempt, of: notice.of, reason: reasonOf(notice.error, this.deps.upstream.name).reason });
  }

  private async loadMetadata(studyUid: string, signal: AbortSignal): Promise<unknown[]> {
    const metadata = await this.deps.upstream.getJson(`/studies/${studyUid}/metadata`, '', signal);
    if (!Array.isArray(metadata)) throw new UpstreamFailureError(this.deps.upstream.name, 'sent metadata that is not a DICOM JSON array.', 502, 'UPSTREAM_BAD_RESPONSE');
    if (metadata.length === 0) throw new NotFoundError(`No study ${studyUid} in the archive.`);
    return metadata;
  }

  /** Runs one study to done or failed; rethrows only aborts (cancel, shutdown). */
  async fetchStudy(tracker: JobTracker, study: JobStudy, baseUrl: string, signal: AbortSignal): Promise<void> {
    await tracker.startStudy(study);
    const unpin = this.deps.edge.pinStudy(study.studyUid); // not evicted while half filled
    try {
      const metadata = await withRetry(this.deps.retry, () => this.loadMetadata(study.studyUid, signal), signal, this.onRetry(tracker, study));
      const instances = instancesOf(metadata);
      await tracker.studyListed(study, new Set(instances.map((i) => i.series)).size, instances.length);
      await this.deps.edge.putStudyMetadata(study.studyUid, Buffer.from(JSON.stringify(metadata)));
      await this.warm(study.studyUid, baseUrl, metadata);
      const outcome = await this.fetchInstances(tracker, study, instances, signal);
      if (outcome.outage) throw outcome.outage;
      if (outcome.failed > 0) {
        return await tracker.finishStudy(study, 'failed', `${formatCount(outcome.failed)} of ${formatCount(instances.length)} images could not be fetched: ${outcome.firstReason}`);
      }
      await this.deps.edge.markStudyComplete(study.studyUid);
      await tracker.finishStudy(study, 'done');
    } catch (err) {
      if (signal.aborted || isAbortError(err)) throw signal.aborted ? abortError(signal) : err;
      const { code, reason } = reasonOf(err, this.deps.upstream.name);
      if (code === 'INTERNAL_ERROR') this.deps.log.error({ err, study: study.studyUid }, 'prefetch: study failed on an internal error');
      else this.deps.log.warn({ code, study: study.studyUid }, 'prefetch: study failed');
      await tracker.finishStudy(study, 'failed', reason);
    } finally {
      unpin();
    }
  }

  /** Cache warming is a bonus: its failures never fail the study. */
  private async warm(studyUid: string, baseUrl: string, metadata: unknown[]): Promise<void> {
    try {
      await warmMetadata(this.deps.metadataCache, baseUrl, studyUid, metadata);
      await warmSeriesSearch(this.deps.qido, baseUrl, studyUid);
    } catch (err) {
      this.deps.log.debug({ err, study: studyUid }, 'prefetch: cache warming failed');
    }
  }

  private async fetchInstances(tracker: JobTracker, study: JobStudy, instances: InstanceUids[], jobSignal: AbortSignal): Promise<InstanceOutcome> {
    const studyAbort = new AbortController();
    const signal = AbortSignal.any([jobSignal, studyAbort.signal]);
    const outcome: InstanceOutcome = { failed: 0 };
    const tasks = await planFetch(this.deps.edge, study.studyUid, instances);
    const run = async (task: FetchTask) => {
      try {
        if (task.kind === 'instance') await this.fetchOne(tracker, study, task.uids, signal);
        else pool.push((await this.fetchSeries(tracker, study, task, signal)).map((uids): FetchTask => ({ kind: 'instance', uids })));
      } catch (err) {
        if (jobSignal.aborted || (studyAbort.signal.aborted && isAbortError(err))) return;
        if (stopsStudy(err)) {
          outcome.outage ??= err;
          studyAbort.abort();
          return;
        }
        outcome.failed += task.kind === 'instance' ? 1 : task.instances.length;
        outcome.firstReason ??= reasonOf(err, this.deps.upstream.name).reason;
        this.deps.log.warn({ err, study: study.studyUid, ...(task.kind === 'instance' ? { instance: task.uids.instance } : { series: task.series }) }, 'prefetch: instance failed');
      }
    };
    const pool = new TaskPool(tasks, this.deps.instanceConcurrency, run, signal);
    await pool.done();
    if (jobSignal.aborted) throw abortError(jobSignal);
    return outcome;
  }

  /** One series retrieve into the edge; returns the instances it did not bring (to fetch one by one). */
  private async fetchSeries(tracker: JobTracker, study: JobStudy, task: Extract<FetchTask, { kind: 'series' }>, signal: AbortSignal): Promise<InstanceUids[]> {
    const onStored = (instance: { size: number }) => tracker.instanceDone(study, instance.size, false);
    const got = await this.deps.edge.fetchSeries(task.study, task.series, task.instances, { signal, onStored });
    if (got.remaining.length > 0) {
      const { code, reason } = got.error ? reasonOf(got.error, this.deps.upstream.name) : { code: undefined, reason: 'not in the series answer' };
      this.deps.log.warn({ code, reason, study: task.study, series: task.series, remaining: got.remaining.length }, 'prefetch: a series answer did not bring every instance; fetching those one by one');
    }
    return got.remaining;
  }

  private async fetchOne(tracker: JobTracker, study: JobStudy, uids: InstanceUids, signal: AbortSignal): Promise<void> {
    const cached = await this.deps.edge.getInstance(uids);
    if (cached) return tracker.instanceDone(study, cached.size, true);
    const fetched = await withRetry(this.deps.retry, () => this.deps.edge.fetchInstance(uids, signal), signal, this.onRetry(tracker, study));
    await tracker.instanceDone(study, fetched.size, false);
  }
}
