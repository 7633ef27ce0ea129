/**
 * Whole instances, as stored by the archive, kept on disk (DiskLru) so that
 * frames and bulk data are served by positional reads instead of asking the PACS
 * to decode or re-read the whole instance per frame (PS3.18 §10.4.1.1.5–6).
 *
 * An instance is fetched once with `transfer-syntax=*` (PS3.18 §8.7.3.5.2: as
 * stored), its single part streamed to disk (never held in memory), then
 * described by a caller-supplied function (index, inflate…). Concurrent
 * requests for one instance share one download (DiskLru coalesces). When a
 * local source (the edge cache) holds the instance, or is downloading it, the
 * file is copied from there instead: no second download, and frames still come
 * while the archive is down.
 */
import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import { DiskLru, type DiskEntry } from './disk-lru.js';
import { NotFoundError, UpstreamFailureError } from '../http/errors.js';
import { boundaryOf, readMultipart } from '../http/multipart.js';
import type { UpstreamClient } from '../upstream/client.js';
import { askAgainOnSocketDrop, discardBody } from '../upstream/body-errors.js';

export interface InstanceUids {
  study: string;
  series: string;
  instance: string;
}

export interface InstanceStoreOptions {
  dir: string;
  maxBytes: number;
  /** Instances larger than this are never stored. */
  maxInstanceBytes: number;
}

/**
 * Instances held on this machine already (the edge cache, src/edge), consulted
 * before the archive. The store copies from it: its own files may be rewritten
 * in place (inflated), so it never works on the source's file itself.
 */
export interface LocalInstanceSource {
  /** True when the instance is there or being fetched into it. */
  holds(uids: InstanceUids): Promise<boolean>;
  /** Copies the instance to `dest` (waiting for a running download); false when not held. */
  copyInstanceTo(uids: InstanceUids, dest: string, signal?: AbortSignal): Promise<boolean>;
}

export type InstanceOrigin = 'local' | 'upstream';

/** Turns a freshly written file into what is remembered about it; may rewrite the file in place. */
export type DescribeInstance<M> = (file: string) => Promise<M>;

export class InstanceTooLargeError extends Error {
  readonly code = 'INSTANCE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`instance larger than the instance cache limit of ${limit} bytes`);
  }
}

export interface InstanceStoreStats {
  entries: number;
  bytes: number;
  /** Instance downloads started (one per cache miss, however many requests waited for it). */
  downloads: number;
  downloadedBytes: number;
  failedDownloads: number;
  /** Instances copied from the local source (edge cache) instead of downloaded. */
  localCopies: number;
}

const STORED_AS_IS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** Passes bytes through and fails once more than `limit` went by. */
function byteLimit(limit: number, counted: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      counted.bytes += chunk.length;
      if (counted.bytes > limit) done(new InstanceTooLargeError(limit));
      else done(null, chunk);
    },
  });
}

export function instanceKey(uids: InstanceUids): string {
  return `${uids.study}/${uids.series}/${uids.instance}`;
}

export class InstanceStore<M> {
  /** Created on first download, so that a gateway that never serves frames leaves no folder behind. */
  private diskLru: DiskLru<M> | undefined;
  private readonly closing = new AbortController();
  private readonly counters = { downloads: 0, downloadedBytes: 0, failedDownloads: 0, localCopies: 0 };
  /** Where each stored instance came from (for the X-Gateway-Cache header). */
  private readonly origins = new LRUCache<string, InstanceOrigin>({ max: 100_000 });

  constructor(
    private readonly options: InstanceStoreOptions,
    private readonly upstream: UpstreamClient,
    private readonly describe: DescribeInstance<M>,
    private readonly log: Logger,
    private readonly local?: LocalInstanceSource,
  ) {}

  private get disk(): DiskLru<M> {
    if (this.closing.signal.aborted) throw new Error('instance store is closed');
    this.diskLru ??= new DiskLru<M>({ dir: this.options.dir, maxBytes: this.options.maxBytes });
    return this.diskLru;
  }

  /** The cached instance, if any (no download). */
  get(uids: InstanceUids): DiskEntry<M> | undefined {
    return this.diskLru?.get(instanceKey(uids));
  }

  /** True when the local source holds the instance: fetch() then costs the archive nothing. */
  async heldLocally(uids: InstanceUids): Promise<boolean> {
    return (await this.local?.holds(uids).catch(() => false)) ?? false;
  }

  origin(uids: InstanceUids): InstanceOrigin | undefined {
    return this.origins.get(instanceKey(uids));
  }

  /** The cached instance, downloaded now if needed (once, shared by concurrent callers). */
  async fetch(uids: InstanceUids): Promise<DiskEntry<M>> {
    return this.disk.fetch(instanceKey(uids), (temp) => this.download(uids, temp));
  }

  delete(uids: InstanceUids): void {
    this.diskLru?.delete(instanceKey(uids));
  }

  /** Drops a study's instances (after STOW-RS replaced some, say). */
  invalidateStudy(studyUid: string): number {
    return this.diskLru?.deletePrefix(`${studyUid}/`) ?? 0;
  }

  stats(): InstanceStoreStats {
    return { ...(this.diskLru?.stats() ?? { entries: 0, bytes: 0 }), ...this.counters };
  }

  close(): void {
    this.closing.abort();
    this.diskLru?.close();
  }

  private async download(uids: InstanceUids, temp: string): Promise<M> {
    if (await this.copyFromLocal(uids, temp)) {
      this.origins.set(instanceKey(uids), 'local');
      return this.describe(temp);
    }
    this.origins.set(instanceKey(uids), 'upstream');
    this.counters.downloads++;
    const started = Date.now();
    try {
      const bytes = await downloadAsStored(this.upstream, {
        uids,
        signal: this.closing.signal,
        maxBytes: this.options.maxInstanceBytes,
        sink: () => [createWriteStream(temp)],
      });
      this.counters.downloadedBytes += bytes;
      const meta = await this.describe(temp);
      this.log.debug({ instance: uids.instance, bytes, ms: Date.now() - started }, 'instance stored for frame access');
      return meta;
    } catch (err) {
      this.counters.failedDownloads++;
      throw err;
    }
  }

  private async copyFromLocal(uids: InstanceUids, temp: string): Promise<boolean> {
    if (!this.local || !(await this.heldLocally(uids))) return false;
    const copied = await this.local.copyInstanceTo(uids, temp, this.closing.signal).catch((err: unknown) => {
      // The local source's own limits (full, instance too large for it): download as usual.
      if (String((err as { code?: unknown }).code ?? '').startsWith('EDGE_')) return false;
      throw err;
    });
    if (!copied) return false;
    if ((await stat(temp)).size > this.options.maxInstanceBytes) {
      await unlink(temp).catch(() => undefined);
      throw new InstanceTooLargeError(this.options.maxInstanceBytes);
    }
    this.counters.localCopies++;
    return true;
  }
}

export interface AsStoredDownload {
  uids: InstanceUids;
  signal: AbortSignal;
  /** Larger instances are refused with InstanceTooLargeError. */
  maxBytes: number;
  /** Fresh stages for each attempt, the last one writing the file (earlier ones may hash, say). */
  sink(): Array<NodeJS.ReadWriteStream | NodeJS.WritableStream>;
}

/**
 * Downloads one instance as stored (transfer-syntax=*, PS3.18 §8.7.3.5.2) into
 * the stages of `sink()`, asking again when the archive drops the connection
 * mid-body (nothing reached a client yet). Resolves with the byte count.
 */
export function downloadAsStored(upstream: UpstreamClient, req: AsStoredDownload): Promise<number> {
  return askAgainOnSocketDrop(() => downloadOnce(upstream, req), req.signal, upstream.name, (e) => e instanceof InstanceTooLargeError);
}

async function downloadOnce(upstream: UpstreamClient, req: AsStoredDownload): Promise<number> {
  const { study, series, instance } = req.uids;
  const res = await upstream.request({
    path: `/studies/${study}/series/${series}/instances/${instance}`,
    headers: { accept: STORED_AS_IS },
    signal: req.signal,
  });
  return writeAnswer(upstream, res, req);
}

async function writeAnswer(upstream: UpstreamClient, res: Dispatcher.ResponseData, req: AsStoredDownload): Promise<number> {
  if (res.statusCode === 404) {
    await res.body.dump();
    throw new NotFoundError('The image archive has no such instance in this study and series.', 'INSTANCE_NOT_FOUND');
  }
  if (res.statusCode >= 400) throw await upstream.failure(res);
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > req.maxBytes + 64 * 1024) {
    discardBody(res.body);
    throw new InstanceTooLargeError(req.maxBytes);
  }
  const counted = { bytes: 0 };
  const contentType = String(res.headers['content-type'] ?? '');
  const boundary = boundaryOf(contentType);
  if (!boundary) {
    // A single-part application/dicom answer (some archives send one for one instance).
    if (!contentType.toLowerCase().startsWith('application/dicom')) {
      discardBody(res.body);
      throw new UpstreamFailureError(upstream.name, `sent an instance as "${contentType.slice(0, 80)}" instead of multipart/related application/dicom.`, 502, 'UPSTREAM_BAD_RESPONSE');
    }
    await pipeline([res.body, byteLimit(req.maxBytes, counted), ...req.sink()]);
    return counted.bytes;
  }
  return writeFirstPart(upstream, res, boundary, req, counted);
}

async function writeFirstPart(upstream: UpstreamClient, res: Dispatcher.ResponseData, boundary: string, req: AsStoredDownload, counted: { bytes: number }): Promise<number> {
  let written = false;
  await readMultipart(res.body, boundary, {
    onPart: async (part) => {
      if (written) {
        part.body.resume(); // one instance was asked for; anything more is ignored
        return;
      }
      written = true;
      await pipeline([part.body, byteLimit(req.maxBytes, counted), ...req.sink()]);
    },
  });
  if (!written) throw new UpstreamFailureError(upstream.name, 'answered the instance request with no instance.', 502, 'UPSTREAM_BAD_RESPONSE');
  return counted.bytes;
}
