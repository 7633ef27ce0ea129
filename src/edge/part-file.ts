/**
 * One part of a series answer (one instance, PS3.18 §8.6.1.2) on its way into
 * a temp file of the edge: hashed (SHA-256) chunk by chunk as it is read, kept
 * in memory up to SPILL_BYTES so that the next part can be read while this one
 * is written to disk (the archive's connection keeps flowing), streamed to the
 * file as it comes when larger (memory stays bounded for big multi-frame
 * instances).
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { EdgeInstanceTooLargeError } from './errors.js';
import { HEAD_BYTES, type EdgeFiles } from './files.js';

/**
 * Parts up to this size are held in memory until written (a 512x512 CT is
 * 0.5 MB); with PARTS_AHEAD of them waiting (series-download.ts), a series
 * download holds at most about 10 MB.
 */
const SPILL_BYTES = 2 * 1024 * 1024;

export interface ReceivedPart {
  temp: string;
  size: number;
  sha256: string;
  head: Buffer;
  /** The whole part when it is small (not on disk yet: flushPart() writes it); empty once on disk. */
  pending: Buffer[];
  onDisk: boolean;
}

/** Appends the chunks (writev may write less than asked: the system's limit on one call; the rest goes again). */
async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  for (let total = rest.reduce((n, c) => n + c.length, 0); total > 0;) {
    const { bytesWritten } = await handle.writev(rest);
    if (bytesWritten >= total) return;
    rest = [Buffer.concat(rest).subarray(bytesWritten)];
    total -= bytesWritten;
  }
}

/** Reads the part to its end; small parts stay in memory, larger ones go to `temp` as they come. On failure no file is left. */
export async function receivePart(files: EdgeFiles, body: Readable, maxBytes: number): Promise<ReceivedPart> {
  const temp = files.tempPath();
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let pending: Buffer[] = [];
  let held = 0;
  let size = 0;
  let handle: FileHandle | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - size));
      size += chunk.length;
      if (size > maxBytes) throw new EdgeInstanceTooLargeError(maxBytes);
      hash.update(chunk);
      pending.push(chunk);
      held += chunk.length;
      if (held < SPILL_BYTES) continue;
      handle ??= await open(temp, 'w');
      await writeAll(handle, pending);
      [pending, held] = [[], 0];
    }
    if (handle) await writeAll(handle, pending);
  } catch (err) {
    body.destroy();
    await handle?.close();
    if (handle) await files.remove(temp);
    throw err;
  }
  await handle?.close();
  const onDisk = handle !== undefined;
  return { temp, size, sha256: hash.digest('hex'), head: Buffer.concat(head), pending: onDisk ? [] : pending, onDisk };
}

/** Writes a part held in memory to its temp file (not fsynced: see files.ts). */
export async function flushPart(part: ReceivedPart): Promise<void> {
  if (part.onDisk) return;
  const handle = await open(part.temp, 'w');
  try {
    await writeAll(handle, part.pending);
  } finally {
    await handle.close();
  }
  part.pending = [];
  part.onDisk = true;
}
