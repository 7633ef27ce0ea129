/**
 * The edge cache (interface in types.ts): instances downloaded from the archive
 * as stored, kept on disk with their SHA-256, indexed in the state database,
 * bounded by bytes with least recently used studies evicted whole. Concurrent
 * fetches of one instance share one download; the download is abandoned only
 * when every caller waiting for it gave up. A series download (one archive
 * request for a whole series) claims its instances up front, so that fetching
 * one of them while it runs waits for its part.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { UpstreamClient } from '../upstream/client.js';
import { EdgeClosedError, EdgeSeriesPartMissingError } from './errors.js';
import { storeSeries, type SeriesStoreDeps } from './series-store.js';
import { downloadInstance, type DownloadedInstance } from './download.js';
import { InflightDownloads, keyOf, type Download, type SeriesClaim } from './inflight.js';
import type { EdgeFiles } from './files.js';
import { EdgeIntegrity, type VerifyPolicy } from './integrity.js';
import { listedInstances, parseStudyMetadata } from './metadata-items.js';
import type { EdgeInstanceRow, EdgeRepository } from './repository.js';
import { EdgeSpace } from './space.js';
import { sweepAtStart } from './startup.js';
import type { EdgeCache, EdgeInstance, EdgeStats, EdgeStudySummary, InstanceUids, SeriesFetch, SeriesFetchOptions } from './types.js';

export interface EdgeCacheParts {
  repo: EdgeRepository;
  files: EdgeFiles;
  upstream: UpstreamClient;
  log: Logger;
  maxBytes: number;
  verify: VerifyPolicy;
}

export class EdgeCacheImpl implements EdgeCache {
  readonly enabled = true;
  readonly ready: Promise<void>;
  private readonly repo: EdgeRepository;
  private readonly files: EdgeFiles;
  private readonly space: EdgeSpace;
  private readonly integrity: EdgeIntegrity;
  private readonly inflight = new InflightDownloads();
  private readonly seriesRunning = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();
  private readonly counters = { hits: 0, misses: 0, downloads: 0, instanceRequests: 0, seriesRequests: 0 };

  constructor(private readonly parts: EdgeCacheParts) {
    this.repo = parts.repo;
    this.files = parts.files;
    this.space = new EdgeSpace(parts.maxBytes, parts.repo, parts.files, parts.log);
    this.integrity = new EdgeIntegrity(parts.verify, parts.repo, parts.files, this.space, parts.log);
    this.ready = sweepAtStart(this.repo, this.files, this.space, parts.log);
    this.ready.catch((err: unknown) => parts.log.error({ err, dir: parts.files.dir }, 'edge cache could not start; it stays empty'));
  }

  /** What a series download needs of the cache (series-store.ts). */
  private get seriesDeps(): SeriesStoreDeps {
    return {
      download: { upstream: this.parts.upstream, files: this.files, log: this.parts.log },
      maxBytes: this.parts.maxBytes,
      closing: this.closing.signal,
      hold: (study) => this.space.hold(study),
      admit: async (uids, got) => {
        const instance = await this.admit(uids, got);
        this.counters.downloads++;
        return instance;
      },
    };
  }

  private async open(): Promise<void> {
    if (this.closing.signal.aborted) throw new EdgeClosedError();
    await this.ready;
  }

  private toEdge(row: EdgeInstanceRow): EdgeInstance {
    const { study, series, instance, size, sha256, transferSyntax, sopClass } = row;
    return { study, series, instance, path: this.files.absolute(row.file), size, sha256, transferSyntax, sopClass };
  }

  /** Records an access to the study for least-recently-used eviction (at most once a second, EdgeSpace.accessDue). */
  private async touch(study: string): Promise<void> {
    if (this.space.accessDue(study)) await this.repo.touch(study, this.space.stamp());
  }

  /** The row when present and intact (per edge.verify), without counting or touching. */
  private async intactRow(uids: InstanceUids): Promise<EdgeInstanceRow | undefined> {
    const row = await this.repo.findInstance(uids);
    return row && (await this.integrity.instanceIntact(row)) ? row : undefined;
  }

  async getInstance(uids: InstanceUids): Promise<EdgeInstance | undefined> {
    await this.open();
    const row = await this.intactRow(uids);
    if (!row) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    await this.touch(uids.study);
    return this.toEdge(row);
  }

  async fetchInstance(uids: InstanceUids, signal?: AbortSignal): Promise<EdgeInstance> {
    await this.open();
    if (!this.inflight.has(uids)) {
      const present = await this.getInstance(uids);
      if (present) return present;
    }
    try {
      return await this.inflight.wait(this.inflight.get(uids) ?? this.startDownload(uids), signal);
    } catch (err) {
      // The series answer it waited for did not bring it: fetch it on its own.
      if (err instanceof EdgeSeriesPartMissingError && !signal?.aborted) return this.fetchInstance(uids, signal);
      throw err;
    }
  }

  private startDownload(uids: InstanceUids): Download {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.closing.signal]);
    const release = this.space.hold(uids.study);
    this.counters.downloads++;
    this.counters.instanceRequests++;
    const promise = downloadInstance(this.parts.upstream, this.files, uids, signal, this.parts.maxBytes)
      .then((got) => this.admit(uids, got))
      .finally(() => {
        this.inflight.remove(uids);
        release();
      });
    return this.inflight.add(uids, promise, controller);
  }

  async fetchSeries(study: string, series: string, expected: InstanceUids[], options: SeriesFetchOptions = {}): Promise<SeriesFetch> {
    await this.open();
    const claims = new Map<string, SeriesClaim>();
    for (const uids of expected) {
      if (uids.study === study && uids.series === series && !this.inflight.has(uids)) claims.set(uids.instance, this.inflight.claim(uids));
    }
    this.counters.seriesRequests++;
    const running = storeSeries(this.seriesDeps, { study, series, claims, ...options });
    this.seriesRunning.add(running);
    try {
      const { stored, error } = await running;
      const got = new Set(stored.map((i) => i.instance));
      return { stored, remaining: expected.filter((u) => !got.has(u.instance)), error };
    } finally {
      this.seriesRunning.delete(running);
    }
  }

  /** Makes room, moves the download into place and indexes it, one admission at a time. */
  private admit(uids: InstanceUids, got: DownloadedInstance): Promise<EdgeInstance> {
    return this.space.serially(async () => {
      const file = this.files.newInstanceName();
      try {
        await this.space.makeRoom(got.size, uids.study);
        await this.files.place(got.temp, file);
      } catch (err) {
        await this.files.remove(got.temp);
        throw err;
      }
      const row: EdgeInstanceRow = { ...uids, file, size: got.size, sha256: got.sha256, transferSyntax: got.transferSyntax, sopClass: got.sopClass, storedAt: new Date().toISOString() };
      const { replaced, newStudy } = await this.repo.insertInstance(row, this.space.stamp());
      this.integrity.wrote(file);
      this.space.count({ bytes: got.size - (replaced?.size ?? 0), instances: replaced ? 0 : 1, studies: newStudy ? 1 : 0 });
      if (replaced) await this.files.remove(replaced.file);
      return this.toEdge(row);
    });
  }

  async putStudyMetadata(studyUid: string, metadataJson: Buffer): Promise<void> {
    await this.open();
    const expected = listedInstances(studyUid, parseStudyMetadata(metadataJson));
    const ref = await this.files.writeMetadata(metadataJson);
    await this.space.serially(async () => {
      try {
        await this.space.makeRoom(ref.size, studyUid);
      } catch (err) {
        await this.files.remove(ref.file);
        throw err;
      }
      const { replaced, newStudy } = await this.repo.putMetadata(studyUid, ref, expected, this.space.stamp());
      this.space.count({ bytes: ref.size - (replaced?.size ?? 0), studies: newStudy ? 1 : 0 });
      if (replaced) {
        this.integrity.forget(replaced.file);
        await this.files.remove(replaced.file);
      }
    });
  }

  async getStudyMetadata(studyUid: string): Promise<Buffer | undefined> {
    await this.open();
    const ref = (await this.repo.findStudy(studyUid))?.metadata;
    if (!ref) return undefined;
    const body = await this.files.read(ref.file);
    if (!(await this.integrity.metadataIntact(studyUid, ref, body))) return undefined;
    await this.touch(studyUid);
    return body;
  }

  async markStudyComplete(studyUid: string): Promise<void> {
    await this.open();
    await this.repo.markComplete(studyUid);
    const missing = await this.repo.missing(studyUid);
    if (missing.length > 0) this.parts.log.warn({ study: studyUid, missing: missing.length }, 'study marked complete in the edge cache while instances its metadata lists are missing');
  }

  async studySummary(studyUid: string): Promise<EdgeStudySummary | undefined> {
    await this.open();
    const row = await this.repo.findStudy(studyUid);
    if (!row) return undefined;
    const complete = row.complete && row.metadata !== undefined && (await this.repo.missing(studyUid)).length === 0;
    return { study: studyUid, complete, instances: row.instances, bytes: row.bytes, updatedAt: row.updatedAt };
  }

  async listInstances(studyUid: string, seriesUid?: string): Promise<EdgeInstance[]> {
    await this.open();
    return (await this.repo.listInstances(studyUid, seriesUid)).map((row) => this.toEdge(row));
  }

  async invalidateStudy(studyUid: string): Promise<void> {
    await this.open();
    const dropped = await this.repo.dropMetadata(studyUid);
    if (!dropped) return;
    this.space.count({ bytes: -dropped.size });
    this.integrity.forget(dropped.file);
    await this.files.remove(dropped.file);
  }

  /** Nothing held and nothing arriving: the common case of a gateway without prefetch costs no query. */
  private get empty(): boolean {
    return this.space.totals.studies === 0 && this.inflight.size === 0;
  }

  async completeInstances(studyUid: string, seriesUid?: string): Promise<EdgeInstance[] | undefined> {
    await this.open();
    if (this.empty) return undefined;
    const study = await this.repo.findStudy(studyUid);
    if (!study?.metadata || (seriesUid === undefined && !study.complete)) return undefined;
    const expected = await this.repo.expected(studyUid, seriesUid);
    if (expected.length === 0) return undefined;
    const out: EdgeInstance[] = [];
    for (const uids of expected) {
      const row = await this.intactRow(uids);
      if (!row) return undefined;
      out.push(this.toEdge(row));
    }
    this.counters.hits += out.length;
    await this.touch(studyUid);
    return out;
  }

  async arrivingInstances(studyUid: string, seriesUid?: string): Promise<InstanceUids[] | undefined> {
    await this.open();
    if (!this.inflight.inStudy(studyUid)) return undefined;
    const expected = await this.repo.expected(studyUid, seriesUid);
    if (expected.length === 0) return undefined;
    const missing = new Set((await this.repo.missing(studyUid, seriesUid)).map(keyOf));
    return [...expected.filter((u) => !missing.has(keyOf(u))), ...expected.filter((u) => missing.has(keyOf(u)))];
  }

  async holds(uids: InstanceUids): Promise<boolean> {
    await this.open();
    if (this.empty) return false;
    if (this.inflight.has(uids)) return true;
    if (await this.repo.findInstance(uids)) return true;
    // Listed by a study being filled, or by a complete one that lost it (a damaged file): fetched into the edge.
    if (!(await this.repo.isExpected(uids))) return false;
    return this.inflight.inStudy(uids.study) || ((await this.repo.findStudy(uids.study))?.complete ?? false);
  }

  async copyInstanceTo(uids: InstanceUids, dest: string, signal?: AbortSignal): Promise<boolean> {
    if (!(await this.holds(uids))) return false;
    const release = this.space.hold(uids.study);
    try {
      const instance = await this.fetchInstance(uids, signal);
      // A clone where the file system can (copy-on-write), else a copy: never the edge's own inode.
      await copyFile(instance.path, dest, fsConstants.COPYFILE_FICLONE);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false;
      throw err;
    } finally {
      release();
    }
  }

  pinStudy(studyUid: string): () => void {
    return this.space.hold(studyUid);
  }

  stats(): EdgeStats {
    const { studies, instances, bytes } = this.space.totals;
    return { studies, instances, bytes, maxBytes: this.parts.maxBytes, ...this.counters, evictions: this.space.evictions, corrupt: this.integrity.corrupt, inFlight: this.inflight.size };
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await Promise.allSettled([this.ready, ...this.inflight.promises(), ...this.seriesRunning]);
    await this.space.serially(async () => undefined);
  }
}
