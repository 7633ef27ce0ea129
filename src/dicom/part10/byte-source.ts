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

const WINDOW_BYTES = 64 * 1024;

/** A FileHandle read through a 64 KiB window. The caller closes the handle. */
export function fileSource(handle: FileHandle, size: number): ByteSource {
  let windowStart = 0;
  let window = Buffer.alloc(0);
  return {
    size,
    async read(position, length) {
      const end = Math.min(size, position + length);
      if (position >= windowStart && end <= windowStart + window.length) {
        return window.subarray(position - windowStart, end - windowStart);
      }
      const want = Math.max(end - position, WINDOW_BYTES);
      const buf = Buffer.allocUnsafe(Math.min(want, size - position));
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      windowStart = position;
      window = buf.subarray(0, bytesRead);
      return window.subarray(0, Math.min(bytesRead, end - position));
    },
  };
}
