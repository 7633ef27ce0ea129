/**
 * Rendered images and thumbnails on disk (DiskLru, bounded by
 * wado.renderedCacheMaxBytes), keyed by resource + normalized parameters +
 * negotiated type, so that a client scrolling a series costs the PACS once.
 * Concurrent misses for one key share one rendering (SharedWork), which is
 * aborted only when every waiting client has gone.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DiskLru, EntryTooLargeError } from '../../../cache/disk-lru.js';
import type { CacheOutcome } from '../../../cache/metadata-cache.js';
import { SharedWork } from './shared-work.js';

export type Renderer = 'upstream' | 'gateway';

/** What a producer made: the bytes and how to label them. */
export interface Rendering {
  body: Buffer;
  mediaType: string;
  renderer: Renderer;
}

export interface RenderedMeta {
  mediaType: string;
  renderer: Renderer;
  /** Strong validator, quoted as it goes into the ETag header. */
  etag: string;
}

export interface RenderedResult {
  body: Buffer;
  meta: RenderedMeta;
  outcome: CacheOutcome;
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

function metaOf(r: Rendering): RenderedMeta {
  return { mediaType: r.mediaType, renderer: r.renderer, etag: etagOf(r.body) };
}

/** The cache folder: a fresh one per gateway (DiskLru empties its folder when it starts). */
export function renderedCacheDir(instanceCacheDir: string | null): string {
  return instanceCacheDir ? path.join(instanceCacheDir, `rendered-${randomUUID()}`) : path.join(os.tmpdir(), `dicomweb-gateway-rendered-${randomUUID()}`);
}

export class RenderedCache {
  private disk?: DiskLru<RenderedMeta>;
  private readonly work = new SharedWork<RenderedResult>();

  constructor(private readonly dir: string, private readonly maxBytes: number) {}

  /** The cached rendering for `key`, or `produce`'s (once for concurrent callers). */
  async get(key: string, signal: AbortSignal | undefined, produce: (signal: AbortSignal) => Promise<Rendering>): Promise<RenderedResult> {
    const hit = await this.readHit(key);
    if (hit) return hit;
    return this.work.run(key, signal, (shared) => this.fill(key, shared, produce));
  }

  /** Drops every rendering of a study (keys start with `{study}/`). */
  invalidateStudy(studyUid: string): number {
    return this.disk?.deletePrefix(`${studyUid}/`) ?? 0;
  }

  close(): void {
    this.disk?.close();
    this.disk = undefined;
  }

  stats(): { entries: number; bytes: number } {
    return this.disk?.stats() ?? { entries: 0, bytes: 0 };
  }

  /** Created on first use, after every module's constructor ran (they may share a parent folder). */
  private lru(): DiskLru<RenderedMeta> {
    this.disk ??= new DiskLru<RenderedMeta>({ dir: this.dir, maxBytes: this.maxBytes });
    return this.disk;
  }

  private async readHit(key: string): Promise<RenderedResult | undefined> {
    const entry = this.lru().get(key);
    if (!entry) return undefined;
    try {
      return { body: await readFile(entry.path), meta: entry.meta, outcome: 'HIT' };
    } catch {
      this.lru().delete(key); // evicted between lookup and read: render again
      return undefined;
    }
  }

  private async fill(key: string, signal: AbortSignal, produce: (signal: AbortSignal) => Promise<Rendering>): Promise<RenderedResult> {
    let produced: Rendering | undefined;
    try {
      const entry = await this.lru().fetch(key, async (tempPath) => {
        produced = await produce(signal);
        await writeFile(tempPath, produced.body);
        return metaOf(produced);
      });
      return produced ? { body: produced.body, meta: entry.meta, outcome: 'MISS' } : { body: await readFile(entry.path), meta: entry.meta, outcome: 'HIT' };
    } catch (err) {
      // Larger than the whole cache: answer it once without keeping it.
      if (err instanceof EntryTooLargeError && produced) return { body: produced.body, meta: metaOf(produced), outcome: 'BYPASS' };
      throw err;
    }
  }
}
