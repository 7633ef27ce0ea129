/**
 * Holds one multipart part while it is validated and forwarded: in memory up to
 * `memoryBytes`, else in a temporary file (so a 500 MB multi-frame instance never
 * sits in RAM). Every spool must be released; release() deletes the file.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { chunksSource, fileSource, type ByteSource } from '../../dicom/part10/index.js';

export interface SpoolLimits {
  /** Parts up to this size stay in memory. */
  memoryBytes: number;
  /** Larger parts make write() throw `onTooLarge()`. */
  maxBytes: number;
  onTooLarge(): Error;
  /** Shared by the spools of one request when many parts are held at once (metadata + bulk data form). */
  budget?: { remaining: number };
}

/** File writes are coalesced into chunks of this size (fewer system calls). */
const WRITE_CHUNK = 1024 * 1024;
/** Read-stream chunk size when forwarding from a file. */
const READ_CHUNK = 256 * 1024;

/** The chunks from byte `start` on (views, no copy). */
function chunksFrom(chunks: readonly Buffer[], start: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = start;
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    out.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return out;
}

export class Spool {
  size = 0;
  private chunks: Buffer[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private file?: { path: string; handle: FileHandle };
  private released = false;

  constructor(private readonly dir: string, private readonly limits: SpoolLimits) {}

  /** A spool holding bytes already in memory (e.g. an instance converted to Part 10). */
  static ofBuffer(data: Buffer): Spool {
    const spool = new Spool('', { memoryBytes: data.length, maxBytes: data.length, onTooLarge: () => new Error('unreachable') });
    spool.size = data.length;
    spool.chunks = [data];
    return spool;
  }

  /** All bytes of the part in one buffer (reads a spooled file: only for parts known to be small enough). */
  async readAll(): Promise<Buffer> {
    const buf = this.buffer();
    if (buf) return buf;
    const chunks: Buffer[] = [];
    for await (const chunk of this.stream()) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  get inMemory(): boolean {
    return this.file === undefined;
  }

  /**
   * Appends a chunk (in order); moves to disk when the memory budget is exceeded.
   * In memory it returns nothing (no promise per chunk); a limit throws at once.
   */
  write(chunk: Buffer): void | Promise<void> {
    this.size += chunk.length;
    if (this.size > this.limits.maxBytes) throw this.limits.onTooLarge();
    const budget = this.limits.budget;
    if (!this.file && this.size <= this.limits.memoryBytes && (!budget || budget.remaining >= chunk.length)) {
      if (budget) budget.remaining -= chunk.length;
      this.chunks.push(chunk);
      return;
    }
    return this.writeToDisk(chunk);
  }

  private async writeToDisk(chunk: Buffer): Promise<void> {
    if (!this.file) await this.moveToDisk();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush();
  }

  /** Call once the part has been fully written. */
  async finish(): Promise<void> {
    if (this.file) {
      await this.flush();
      return;
    }
    // In-memory chunks stay as they arrived: joining them would copy every instance once more
    // (and large short-lived copies are what the garbage collector spends its time on).
  }

  /** The part's bytes as the chunks they arrived in, for in-memory parts (undefined when on disk). */
  chunkList(): readonly Buffer[] | undefined {
    return this.file ? undefined : this.chunks;
  }

  /** The whole part in one buffer, for in-memory parts (undefined when on disk); joins the chunks once. */
  buffer(): Buffer | undefined {
    if (this.file) return undefined;
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Random access for the Part 10 walker; call close() when done. */
  async openSource(): Promise<{ source: ByteSource; close(): Promise<void> }> {
    const chunks = this.chunkList();
    if (chunks) return { source: chunksSource(chunks.length > 0 ? chunks : [Buffer.alloc(0)]), close: async () => undefined };
    const handle = await open(this.file!.path, 'r');
    return { source: fileSource(handle, this.size), close: () => handle.close() };
  }

  /** A fresh stream of the part from `start` (may be called again, e.g. to retry a forward). */
  stream(start = 0): Readable {
    const chunks = this.chunkList();
    if (chunks) return Readable.from(chunksFrom(chunks, start), { objectMode: false });
    return createReadStream(this.file!.path, { highWaterMark: READ_CHUNK, start });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!this.file && this.limits.budget) this.limits.budget.remaining += this.chunks.reduce((n, c) => n + c.length, 0);
    this.chunks = [];
    this.pending = [];
    const file = this.file;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    await rm(file.path, { force: true });
  }

  private async moveToDisk(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const filePath = path.join(this.dir, `stow-${randomUUID()}.part`);
    this.file = { path: filePath, handle: await open(filePath, 'wx', 0o600) };
    this.pending = this.chunks;
    this.pendingBytes = this.chunks.reduce((n, c) => n + c.length, 0);
    if (this.limits.budget) this.limits.budget.remaining += this.pendingBytes;
    this.chunks = [];
  }

  private async flush(): Promise<void> {
    if (!this.file || this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    for (let offset = 0; offset < data.length;) {
      const { bytesWritten } = await this.file.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }
}

/** The folder all gateway processes spool under (stow.spoolDir, else one under the OS temp dir). */
export function spoolBaseDirectory(configured: string | null): string {
  return configured ?? path.join(os.tmpdir(), 'dicomweb-gateway-stow');
}

/** This process's own spool folder (by PID), so that a restart can clean what an ended process left (spool-cleanup.ts). */
export function spoolDirectory(configured: string | null): string {
  return path.join(spoolBaseDirectory(configured), String(process.pid));
}

/** Spools a whole stream; on any error the spool is released and the error rethrown. */
export async function spoolStream(source: AsyncIterable<Buffer>, dir: string, limits: SpoolLimits): Promise<Spool> {
  const spool = new Spool(dir, limits);
  try {
    for await (const chunk of source) await spool.write(chunk);
    await spool.finish();
    return spool;
  } catch (err) {
    await spool.release();
    throw err;
  }
}
