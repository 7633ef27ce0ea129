/**
 * The edge cache's files: `instances/xx/<uuid>.dcm` (Part 10, as the archive
 * stores them), `metadata/<uuid>.json` (a study's WADO-RS metadata) and `tmp/`
 * for downloads in progress (one sub-folder per process, `tmp/<pid>/`, so that a
 * starting gateway removes only what ended processes left). A file is written
 * under tmp/, then renamed into place, so that a crash of the gateway leaves a
 * stray temp file (removed at start), never a half file under a name the index
 * knows.
 *
 * Instance files are not fsynced (metadata files are: one per study). A power
 * cut can then leave a renamed, indexed file torn or empty; that costs nothing
 * but a download: the edge is a copy of what the archive holds, and every file
 * is SHA-256 checked against its index row before its first serve in each
 * process (edge.verify 'once' or 'always', integrity.ts), so a torn file is
 * dropped and fetched again, never served. A rename the power cut lost leaves a
 * row without a file (dropped at start) or, with SQLite's synchronous=NORMAL, a
 * file without a row (removed at start).
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, writeFile, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { SLAB_BYTES, SlabPool } from '../http/slab-pool.js';
import type { EdgeFileRef } from './repository.js';

const INSTANCES = 'instances';
const METADATA = 'metadata';
const TMP = 'tmp';

/** Bytes of a download's start kept in memory, for its File Meta (a few hundred bytes as a rule). */
export const HEAD_BYTES = 16 * 1024;

/** Passes bytes through, hashing them (SHA-256) on the way and keeping the first HEAD_BYTES. */
export class HashingStage extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private readonly headChunks: Buffer[] = [];
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.bytes < HEAD_BYTES) this.headChunks.push(chunk.subarray(0, HEAD_BYTES - this.bytes));
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** The first bytes that went through. */
  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Signal 0 tests that a process exists (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    return process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function isMissing(err: unknown): boolean {
  return (err as { code?: string }).code === 'ENOENT';
}

export class EdgeFiles {
  /** Shard folders known to exist (they are never removed). */
  private readonly made = new Set<string>();
  /** Read buffers of hash(): none is held past a call, so each is reused at once. */
  private readonly hashSlabs = new SlabPool(SLAB_BYTES, 2);

  constructor(readonly dir: string) {}

  /**
   * Creates the folders and removes downloads that ended processes left half
   * done. Returns how many other live processes use the folder.
   */
  async init(): Promise<number> {
    for (const sub of [INSTANCES, METADATA, TMP]) await mkdir(path.join(this.dir, sub), { recursive: true });
    let others = 0;
    for (const name of await readdir(path.join(this.dir, TMP))) {
      if (name !== String(process.pid) && /^\d+$/.test(name) && isRunning(Number(name))) others++;
      else await rm(path.join(this.dir, TMP, name), { recursive: true, force: true });
    }
    await mkdir(this.tempDir, { recursive: true });
    return others;
  }

  private get tempDir(): string {
    return path.join(this.dir, TMP, String(process.pid));
  }

  absolute(file: string): string {
    return path.join(this.dir, file);
  }

  tempPath(): string {
    return path.join(this.tempDir, `${randomUUID()}.part`);
  }

  newInstanceName(): string {
    const id = randomUUID();
    return path.join(INSTANCES, id.slice(0, 2), `${id}.dcm`);
  }

  /** A write stream for an instance download (not fsynced: see the comment at the top). */
  tempWriter(temp: string): NodeJS.WritableStream {
    return createWriteStream(temp, { highWaterMark: 256 * 1024 });
  }

  async place(temp: string, file: string): Promise<void> {
    const target = this.absolute(file);
    const folder = path.dirname(target);
    if (!this.made.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.made.add(folder);
    }
    await rename(temp, target);
  }

  async remove(file: string): Promise<void> {
    await unlink(path.isAbsolute(file) ? file : this.absolute(file)).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }

  /**
   * SHA-256 and size of a file, or undefined when it is gone. Read into a
   * reused slab (the hash takes each read before the next one): fresh 1 MiB
   * buffers per read made the first serve of prefetched studies GC-bound.
   */
  async hash(file: string): Promise<{ sha256: string; size: number } | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.absolute(file), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const slab = this.hashSlabs.take();
    try {
      const hash = createHash('sha256');
      let size = 0;
      for (;;) {
        const { bytesRead } = await handle.read(slab, 0, slab.length, size);
        if (bytesRead === 0) break;
        hash.update(slab.subarray(0, bytesRead));
        size += bytesRead;
      }
      return { sha256: hash.digest('hex'), size };
    } finally {
      this.hashSlabs.retire(slab);
      await handle.close();
    }
  }

  async exists(file: string): Promise<boolean> {
    try {
      return (await stat(this.absolute(file))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Writes a small file (study metadata) durably under a new name. */
  async writeMetadata(body: Buffer): Promise<EdgeFileRef> {
    const temp = this.tempPath();
    const file = path.join(METADATA, `${randomUUID()}.json`);
    try {
      await writeFile(temp, body, { flush: true });
      await this.place(temp, file);
    } catch (err) {
      await this.remove(temp);
      throw err;
    }
    return { file, size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  }

  /** Removes files under instances/ and metadata/ that the index does not name (a crash between rename and insert). */
  async removeUnknown(known: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const file of await this.listFiles()) {
      if (known.has(file)) continue;
      await this.remove(file);
      removed++;
    }
    return removed;
  }

  private async listFiles(): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(path.join(this.dir, METADATA))) out.push(path.join(METADATA, entry));
    for (const shard of await readdir(path.join(this.dir, INSTANCES))) {
      const entries = await readdir(path.join(this.dir, INSTANCES, shard)).catch(() => [] as string[]);
      for (const entry of entries) out.push(path.join(INSTANCES, shard, entry));
    }
    return out;
  }

  /** Reads a file fully (study metadata), or undefined when it is gone. */
  async read(file: string): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await open(this.absolute(file), 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }
}
