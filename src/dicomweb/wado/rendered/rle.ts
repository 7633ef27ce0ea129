/**
 * RLE Lossless decoding (PS3.5 Annex G) into native little-endian,
 * colour-by-pixel pixels. dcmjs-imaging 0.2.5 renders RLE colour images with
 * their planes unshuffled (grey stripes), so the gateway decodes RLE itself and
 * hands it native pixels. One fragment per frame (§G.3.1 / §A.4.2).
 */
import { CannotRenderError } from './errors.js';

export interface RleFrameLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
}

function undecodable(why: string): CannotRenderError {
  return new CannotRenderError('CANNOT_DECODE_PIXELS', `The RLE pixel data of this instance cannot be decoded (${why}).`);
}

/** One PackBits segment (§G.3.1) into exactly `length` bytes. */
export function decodePackBits(input: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  let i = 0;
  let o = 0;
  while (o < length && i < input.length) {
    const n = input.readInt8(i++);
    if (n >= 0) {
      const count = Math.min(n + 1, length - o, input.length - i);
      input.copy(out, o, i, i + count);
      i += n + 1;
      o += count;
    } else if (n !== -128) {
      const count = Math.min(1 - n, length - o);
      out.fill(input[i] ?? 0, o, o + count);
      i += 1;
      o += count;
    }
  }
  return out;
}

/** Decodes one frame (one fragment: 64-byte header of segment offsets, then segments). */
export function decodeRleFrame(fragment: Buffer, layout: RleFrameLayout): Buffer {
  if (fragment.length < 64) throw undecodable('the fragment is shorter than its 64-byte header');
  const bytesPerSample = layout.bitsAllocated / 8;
  const segments = fragment.readUInt32LE(0);
  const expected = layout.samplesPerPixel * bytesPerSample;
  if (!Number.isInteger(bytesPerSample) || segments !== expected) throw undecodable(`${segments} segments where ${expected} were expected`);
  const pixels = layout.rows * layout.columns;
  const out = Buffer.alloc(pixels * expected);
  for (let k = 0; k < segments; k++) {
    const start = fragment.readUInt32LE(4 + 4 * k);
    const end = k + 1 < segments ? fragment.readUInt32LE(8 + 4 * k) : fragment.length;
    if (start < 64 || end > fragment.length || end < start) throw undecodable(`segment ${k + 1} has bad offsets`);
    const plane = decodePackBits(fragment.subarray(start, end), pixels);
    const sample = Math.floor(k / bytesPerSample);
    // Segments go from the most significant byte down; native little endian stores it last.
    const byteInSample = bytesPerSample - 1 - (k % bytesPerSample);
    for (let p = 0; p < pixels; p++) out[(p * layout.samplesPerPixel + sample) * bytesPerSample + byteInSample] = plane[p]!;
  }
  return out;
}
