/**
 * A size-bounded cache of files on disk, least recently used evicted first,
 * built on lru-cache (bounded by construction: maxSize counts file bytes).
 * Concurrent requests for one missing key share one producer run (lru-cache
 * fetch coalescing), so a viewer asking 96 frames of one instance at once costs
 * the PACS one download. Files are written to a temp name and renamed into place,
 * so a reader never sees half a file. Pixels live here, never in memory.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

export interface DiskEntry<M> {
  /** Absolute path of the cached file; stays readable while open even if evicted. */
  path: string;
  size: number;
  meta: M;
}

/** Writes the file at `tempPath` and returns what to remember about it. */
export type DiskProducer<M> = (tempPath: string) => Promise<M>;

export class EntryTooLargeError extends Error {
  readonly code = 'DISK_CACHE_ENTRY_TOO_LARGE';
  constructor(readonly size: number, readonly maxBytes: number) {
    super(`entry of ${size} bytes exceeds the disk cache size of ${maxBytes} bytes`);
  }
}

export interface DiskLruOptions {
  dir: string;
  maxBytes: number;
}

export class DiskLru<M> {
  private readonly lru: LRUCache<string, DiskEntry<M>, DiskProducer<M>>;
  private readonly dir: string;
  private readonly maxBytes: number;

  constructor(options: DiskLruOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    // The index lives in memory, so files from an earlier run are unknown: start empty.
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.lru = new LRUCache<string, DiskEntry<M>, DiskProducer<M>>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      fetchMethod: (_key, _stale, { context }) => this.produce(context),
      dispose: (entry) => void unlink(entry.path).catch(() => undefined),
    });
  }

  /** The cached entry, or one produced now (once, shared by concurrent callers). */
  async fetch(key: string, producer: DiskProducer<M>): Promise<DiskEntry<M>> {
    const entry = await this.lru.fetch(key, { context: producer });
    if (!entry) throw new Error(`disk cache produced nothing for ${key}`);
    return entry;
  }

  get(key: string): DiskEntry<M> | undefined {
    return this.lru.get(key);
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** Drops every entry whose key starts with `prefix` (e.g. one study's files). */
  deletePrefix(prefix: string): number {
    let n = 0;
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix) && this.lru.delete(key)) n++;
    return n;
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }

  /** Removes every file and the folder. */
  close(): void {
    this.lru.clear();
    // A producer still finishing may add a file while the folder is removed (ENOTEMPTY): try again.
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
  }

  private async produce(producer: DiskProducer<M>): Promise<DiskEntry<M>> {
    const temp = path.join(this.dir, `.tmp-${randomUUID()}`);
    const final = path.join(this.dir, `${randomUUID()}.bin`);
    try {
      const meta = await producer(temp);
      const { size } = await stat(temp);
      // lru-cache would silently not keep an entry larger than the whole cache, leaking its file.
      if (size > this.maxBytes) throw new EntryTooLargeError(size, this.maxBytes);
      await rename(temp, final);
      return { path: final, size, meta };
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
  }
}
