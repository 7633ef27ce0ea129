/**
 * Random access to the bytes of a file or buffer, with a read window so that
 * walking thousands of small element headers costs few system calls.
 */
import type { FileHandle } from 'node:fs/promises';

export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `position`, or fewer at the end of the data. */
  read(position: number, length: number): Promise<Buffer>;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: async (position, length) => buffer.subarray(position, Math.min(buffer.length, position + length)),
  };
}

/**
 * Bytes held as a list of chunks (as they arrived from a socket), without
 * joining them: a read inside one chunk is a view, a read across chunks copies
 * only the bytes asked for (element headers and small values, in practice).
 */
export function chunksSource(chunks: readonly Buffer[]): ByteSource {
  if (chunks.length === 1) return bufferSource(chunks[0]!);
  const starts: number[] = [];
  let size = 0;
  for (const chunk of chunks) {
    starts.push(size);
    size += chunk.length;
  }
  const chunkAt = (position: number): number => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    size,
    read: async (position, length) => {
      const end = Math.min(size, position + length);
      if (position >= end) return Buffer.alloc(0);
      let i = chunkAt(position);
      const offset = position - starts[i]!;
      if (end - starts[i]! <= chunks[i]!.length) return chunks[i]!.subarray(offset, offset + end - position);
      const out = Buffer.allocUnsafe(end - position);
      for (let at = 0, from = offset; at < out.length; i++, from = 0) at += chunks[i]!.copy(out, at, from, Math.min(chunks[i]!.length, from + out.length - at));
      return out;
    },
  };
}

/** First read of a file: most datasets' elements before the pixel data fit in it (a CT's in about 2 KB). */
const FIRST_WINDOW_BYTES = 16 * 1024;
/** Each further miss reads twice as much, up to this (long headers, RT structure sets). */
const MAX_WINDOW_BYTES = 1024 * 1024;

/**
 * A FileHandle read through a window that starts at 16 KiB and doubles with
 * each read up to 1 MiB: a small image is indexed in one small read, a long
 * header in few. The caller closes the handle.
 */
export function fileSource(handle: FileHandle, size: number): ByteSource {
  let windowStart = 0;
  let window = Buffer.alloc(0);
  let windowBytes = FIRST_WINDOW_BYTES;
  return {
    size,
    async read(position, length) {
      const end = Math.min(size, position + length);
      if (position >= windowStart && end <= windowStart + window.length) {
        return window.subarray(position - windowStart, end - windowStart);
      }
      const want = Math.max(end - position, windowBytes);
      windowBytes = Math.min(windowBytes * 2, MAX_WINDOW_BYTES);
      const buf = Buffer.allocUnsafe(Math.min(want, size - position));
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      windowStart = position;
      window = buf.subarray(0, bytesRead);
      return window.subarray(0, Math.min(bytesRead, end - position));
    },
  };
}
