/**
 * A series download into the edge (EdgeCache.fetchSeries): the instances asked
 * for are claimed in the registry of running downloads before the archive is
 * asked (inflight.ts), so that fetching one of them meanwhile waits for its
 * part; each part that is a claimed instance is admitted like a download of
 * one instance (room made, file placed, row indexed) and its claim settled;
 * the claims left when the answer ends are rejected, their waiters then fetch
 * those instances on their own. The study is held against eviction meanwhile.
 */
import { EdgeClosedError, EdgeSeriesPartMissingError } from './errors.js';
import type { DownloadedInstance } from './download.js';
import { abortReason } from '../upstream/errors.js';
import type { SeriesClaim } from './inflight.js';
import { downloadSeries, type SeriesDownloadDeps } from './series-download.js';
import type { EdgeInstance, InstanceUids, SeriesFetchOptions } from './types.js';

export interface SeriesStoreDeps {
  download: SeriesDownloadDeps;
  maxBytes: number;
  /** The cache closing: ends the download. */
  closing: AbortSignal;
  /** Marks a study busy (never evicted) until the returned function is called. */
  hold(study: string): () => void;
  /** Places and indexes one downloaded instance (one admission at a time). */
  admit(uids: InstanceUids, got: DownloadedInstance): Promise<EdgeInstance>;
}

export interface SeriesStoreRequest extends SeriesFetchOptions {
  study: string;
  series: string;
  /** By SOP Instance UID: the instances to store, registered as running downloads. */
  claims: Map<string, SeriesClaim>;
}

/** Streams the series answer, settling each claim as its part lands; rejects only on abort or close. */
export async function storeSeries(deps: SeriesStoreDeps, req: SeriesStoreRequest): Promise<{ stored: EdgeInstance[]; error?: unknown }> {
  const { study, series, claims } = req;
  const signal = AbortSignal.any([req.signal ?? new AbortController().signal, deps.closing]);
  const release = deps.hold(study);
  const stored: EdgeInstance[] = [];
  let error: unknown;
  let ended = false;
  try {
    await downloadSeries(deps.download, {
      study, series, signal, maxBytes: deps.maxBytes,
      onPart: async (got) => {
        const claim = got.sopInstance === undefined || ended ? undefined : claims.get(got.sopInstance);
        // Held already, fetched by another download, or not asked for: the series answer cannot skip it.
        if (!claim) return deps.download.files.remove(got.temp);
        const instance = await deps.admit(claim.uids, got);
        claims.delete(claim.uids.instance);
        claim.resolve(instance);
        stored.push(instance);
        await req.onStored?.(instance);
      },
    });
  } catch (err) {
    error = err;
  } finally {
    ended = true; // a part still being written when the answer failed is dropped
    release();
    for (const claim of claims.values()) claim.reject(new EdgeSeriesPartMissingError(deps.download.upstream.name, claim.uids.instance, error));
    claims.clear();
  }
  if (req.signal?.aborted) throw abortReason(req.signal);
  if (deps.closing.aborted) throw new EdgeClosedError();
  return { stored, error };
}
