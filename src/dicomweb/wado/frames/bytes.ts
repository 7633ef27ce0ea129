/**
 * Turning stored bytes into a frame's bytes as PS3.18 §8.7.3.3.1 sends them:
 * "a stream of uncompressed bytes (octets) in Little Endian byte order".
 * Big endian datasets need their words swapped; 1-bit frames that start inside
 * a byte need their bits moved to bit 0. Reads are positional (fs read of the
 * byte range): a frame never costs a read of the whole file.
 */
import type { FileHandle } from 'node:fs/promises';
import type { FrameExtent } from './layout.js';

/** Chunk size of streamed frames; a multiple of 8 so that swapped words never straddle chunks. */
export const FRAME_CHUNK_BYTES = 1024 * 1024;

/** Swaps every `wordBytes`-byte word in place (2, 4 or 8); a trailing partial word is left alone. */
export function swapBytes(buf: Buffer, wordBytes: number): Buffer {
  if (wordBytes < 2) return buf;
  const whole = buf.length - (buf.length % wordBytes);
  const view = buf.subarray(0, whole);
  if (wordBytes === 2) view.swap16();
  else if (wordBytes === 4) view.swap32();
  else if (wordBytes === 8) view.swap64();
  else throw new RangeError(`cannot swap words of ${wordBytes} bytes`);
  return buf;
}

/**
 * Bits `shift … shift + bitLength` of `buf` moved to start at bit 0 (DICOM packs
 * 1-bit pixels least significant bit first, PS3.5 §8.1.1); unused high bits of
 * the last byte are zero.
 */
export function shiftBits(buf: Buffer, shift: number, bitLength: number): Buffer {
  const out = Buffer.alloc(Math.ceil(bitLength / 8));
  for (let i = 0; i < out.length; i++) {
    const low = (buf[i] ?? 0) >> shift;
    const high = shift === 0 ? 0 : ((buf[i + 1] ?? 0) << (8 - shift)) & 0xff;
    out[i] = low | high;
  }
  const spare = out.length * 8 - bitLength;
  if (spare > 0) out[out.length - 1]! &= 0xff >> spare;
  return out;
}

/** Reads `length` bytes at `position` into `target` from `at` on. */
async function readInto(handle: FileHandle, position: number, length: number, target: Buffer, at: number): Promise<void> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(target, at + filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`cached instance file ends at ${position + filled}, inside a frame`);
    filled += bytesRead;
  }
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  await readInto(handle, position, length, buf, 0);
  return buf;
}

/** The frame's bytes in chunks of at most FRAME_CHUNK_BYTES, converted as the extent says. */
export async function* readFrameChunks(handle: FileHandle, extent: FrameExtent): AsyncGenerator<Buffer> {
  if (extent.bitLength > 0 || extent.bitShift > 0) {
    // Only 1-bit data has frames that do not start or end on a byte: such frames are small.
    const range = extent.ranges[0]!;
    const bits = extent.bitLength || extent.length * 8;
    yield shiftBits(await readExactly(handle, range.offset, range.length), extent.bitShift, bits);
    return;
  }
  for (const range of extent.ranges) {
    for (let done = 0; done < range.length; done += FRAME_CHUNK_BYTES) {
      const chunk = await readExactly(handle, range.offset + done, Math.min(FRAME_CHUNK_BYTES, range.length - done));
      yield swapBytes(chunk, extent.swapWordBytes);
    }
  }
}

/** The whole frame in one buffer (for small frames, where one read beats a stream). */
export async function readFrame(handle: FileHandle, extent: FrameExtent): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(extent.length);
  await readFrameInto(handle, extent, buf, 0);
  return buf;
}

/** Reads the frame straight into `target` at `at` (extent.length bytes): no intermediate copy. */
export async function readFrameInto(handle: FileHandle, extent: FrameExtent, target: Buffer, at: number): Promise<void> {
  if (extent.bitLength > 0 || extent.bitShift > 0) {
    for await (const chunk of readFrameChunks(handle, extent)) chunk.copy(target, at);
    return;
  }
  let pos = at;
  for (const range of extent.ranges) {
    await readInto(handle, range.offset, range.length, target, pos);
    swapBytes(target.subarray(pos, pos + range.length), extent.swapWordBytes);
    pos += range.length;
  }
}
