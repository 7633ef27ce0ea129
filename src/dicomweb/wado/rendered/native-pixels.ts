/**
 * Native (uncompressed) pixels of one frame straight from a Part 10 index:
 * little endian, colour-by-pixel (PS3.5 §8.1, PS3.3 C.7.6.3.1.3), from an
 * uncompressed transfer syntax or decoded RLE. Used where dcmjs-imaging 0.2.5
 * renders wrongly: RLE colour (planes left unshuffled) and 16-bit colour
 * (read as 8-bit samples: vertical stripes).
 */
import { numberValue, type Part10Index } from '../../../dicom/part10/index.js';
import { CannotRenderError } from './errors.js';
import type { RawImage } from './encode.js';
import { decodeRleFrame } from './rle.js';
import { canDecodeFrames, decodeFrame, FrameDecodeError } from '../../../dicom/codecs/frame-decoder.js';
import { frameGeometry } from '../frames/frame-index.js';
import { encapsulatedFrameTable, frameExtent, FrameLayoutError } from '../frames/layout.js';

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2']);

export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  planar: boolean;
}

export function layoutOf(index: Part10Index): PixelLayout {
  const bitsAllocated = numberValue(index, 'BitsAllocated') ?? 8;
  return {
    rows: numberValue(index, 'Rows') ?? 0,
    columns: numberValue(index, 'Columns') ?? 0,
    samplesPerPixel: numberValue(index, 'SamplesPerPixel') ?? 1,
    bitsAllocated,
    bitsStored: numberValue(index, 'BitsStored') ?? bitsAllocated,
    planar: numberValue(index, 'PlanarConfiguration') === 1,
  };
}

function interleave(planar: Buffer, layout: PixelLayout): Buffer {
  const bytes = layout.bitsAllocated / 8;
  const pixels = layout.rows * layout.columns;
  const out = Buffer.alloc(planar.length);
  for (let s = 0; s < layout.samplesPerPixel; s++) {
    for (let p = 0; p < pixels; p++) planar.copy(out, (p * layout.samplesPerPixel + s) * bytes, (s * pixels + p) * bytes, (s * pixels + p + 1) * bytes);
  }
  return out;
}

function uncompressedFrame(index: Part10Index, data: Buffer, frame: number, layout: PixelLayout): Buffer {
  const frameBytes = layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
  const start = index.pixelData!.valueOffset + (frame - 1) * frameBytes;
  if (start + frameBytes > data.length) throw new CannotRenderError('CANNOT_DECODE_PIXELS', `The pixel data of frame ${frame} is truncated in the stored instance.`);
  let bytes: Buffer = Buffer.from(data.subarray(start, start + frameBytes));
  if (!index.encoding.littleEndian && layout.bitsAllocated === 16) bytes.swap16();
  if (layout.planar) bytes = interleave(bytes, layout);
  return bytes;
}

/** The frame (1-based) as native LE colour-by-pixel bytes; undefined for codecs other than RLE. */
export function nativeFrame(index: Part10Index, data: Buffer, frame: number, frames: number): Buffer | undefined {
  if (!index.pixelData || index.pixelData.tag !== '7FE00010') return undefined;
  const layout = layoutOf(index);
  if (layout.bitsAllocated % 8 !== 0) return undefined;
  if (UNCOMPRESSED.has(index.transferSyntaxUid)) return uncompressedFrame(index, data, frame, layout);
  if (index.transferSyntaxUid !== RLE_LOSSLESS) return undefined;
  const fragments = index.pixelData.fragments;
  const parts = fragments.length === frames ? [fragments[frame - 1]!] : fragments;
  return decodeRleFrame(Buffer.concat(parts.map((f) => data.subarray(f.offset, f.offset + f.length))), layout);
}

/** 16-bit RGB (no VOI LUT applies to colour, PS3.4 §N.2.1) scaled to 8 bits per sample. */
export function colour16ToRaw(native: Buffer, layout: PixelLayout): RawImage {
  const samples = layout.rows * layout.columns * layout.samplesPerPixel;
  const shift = Math.max(0, Math.min(16, layout.bitsStored) - 8);
  const mask = layout.bitsStored >= 16 ? 0xffff : (1 << layout.bitsStored) - 1;
  const out = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.min(255, (native.readUInt16LE(2 * i) & mask) >> shift);
  return { pixels: out, width: layout.columns, height: layout.rows, channels: 3 };
}

/**
 * A frame of another compressed syntax (JPEG family, JPEG-LS, JPEG 2000) decoded
 * by the gateway's codecs (src/dicom/codecs), with the photometric
 * interpretation the decoded pixels have (YBR becomes RGB). Undefined when the
 * codecs do not handle the syntax or the frame: dcmjs-imaging then decodes it.
 */
export async function decodedFrame(index: Part10Index, data: Buffer, frame: number, frames: number): Promise<{ pixels: Buffer; photometric: string } | undefined> {
  const pixel = index.pixelData;
  const geometry = frameGeometry(index);
  if (!pixel?.encapsulated || pixel.tag !== '7FE00010' || !geometry || !canDecodeFrames(index.transferSyntaxUid, geometry)) return undefined;
  try {
    const table = encapsulatedFrameTable({ fragments: pixel.fragments, basicOffsetTable: pixel.basicOffsetTable, numberOfFrames: frames });
    const encoded = Buffer.concat(frameExtent(table, frame).ranges.map((r) => data.subarray(r.offset, r.offset + r.length)));
    const pixels = await decodeFrame(index.transferSyntaxUid, geometry, encoded);
    const photometric = geometry.samplesPerPixel === 3 && geometry.photometricInterpretation.startsWith('YBR') ? 'RGB' : geometry.photometricInterpretation;
    return { pixels, photometric };
  } catch (err) {
    if (err instanceof FrameDecodeError || err instanceof FrameLayoutError) return undefined;
    throw err;
  }
}
