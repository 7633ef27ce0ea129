/**
 * Decodes one compressed frame to native pixels (little endian, colour by
 * pixel), for frame requests that ask for an uncompressed transfer syntax
 * (PS3.18 §8.7.3.5.2: Explicit VR Little Endian is the default) when the archive
 * stores the instance compressed. The archive would decode the whole instance
 * per frame request (Orthanc: ~14 frames/s on a 96-frame JPEG); this decodes the
 * one frame asked for, from the instance on the gateway's disk.
 *
 * Codecs: dcmjs-codecs (WebAssembly builds of libjpeg-turbo, CharLS, OpenJPEG;
 * the same package dcmjs-imaging renders with). Colour JPEG frames in YBR are
 * converted to RGB, as decompressing archives do (PS3.5 §8.2.1). Decoding runs
 * on the event loop, so frames above MAX_DECODE_SAMPLES are left to the archive.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface CodecContext {
  getDecodedBuffer(): Uint8Array | undefined;
  getPhotometricInterpretation(): string | undefined;
}
interface CodecsModule {
  NativeCodecs: Record<CodecName, (context: CodecContext, parameters?: Record<string, unknown>) => CodecContext> & {
    initializeAsync(opts?: { logCodecsInfo?: boolean; logCodecsTrace?: boolean }): Promise<void>;
  };
  Context: new (attrs: Record<string, unknown>) => CodecContext;
}
type CodecName = 'decodeJpeg' | 'decodeJpegLs' | 'decodeJpeg2000' | 'decodeRle';

/** Compressed transfer syntaxes the gateway decodes itself, and with which codec. */
const CODECS: Readonly<Record<string, CodecName>> = {
  '1.2.840.10008.1.2.4.50': 'decodeJpeg', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51': 'decodeJpeg', // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57': 'decodeJpeg', // JPEG Lossless (Process 14)
  '1.2.840.10008.1.2.4.70': 'decodeJpeg', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80': 'decodeJpegLs', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81': 'decodeJpegLs', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90': 'decodeJpeg2000', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91': 'decodeJpeg2000', // JPEG 2000
  '1.2.840.10008.1.2.5': 'decodeRle', // RLE Lossless
};

/** Frames with more samples than this (about 32 ms of decoding) are decoded by the archive instead. */
export const MAX_DECODE_SAMPLES = 8 * 1024 * 1024;

export interface FrameGeometry {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometricInterpretation: string;
}

export class FrameDecodeError extends Error {
  readonly code = 'FRAME_DECODE_FAILED';
}

let codecs: Promise<CodecsModule> | undefined;

function loadCodecs(): Promise<CodecsModule> {
  codecs ??= (async () => {
    const module = require('dcmjs-codecs') as CodecsModule;
    await module.NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    return module;
  })();
  return codecs;
}

/** True when the gateway can decode frames of this transfer syntax and size itself. */
export function canDecodeFrames(transferSyntax: string, geometry: Pick<FrameGeometry, 'rows' | 'columns' | 'samplesPerPixel'>): boolean {
  return CODECS[transferSyntax] !== undefined && geometry.rows * geometry.columns * geometry.samplesPerPixel <= MAX_DECODE_SAMPLES;
}

function expectedBytes(g: FrameGeometry): number {
  return g.rows * g.columns * g.samplesPerPixel * Math.ceil(g.bitsAllocated / 8);
}

/** The native frame, or FrameDecodeError when the codec fails or yields the wrong size. */
export async function decodeFrame(transferSyntax: string, geometry: FrameGeometry, encoded: Buffer): Promise<Buffer> {
  const codec = CODECS[transferSyntax];
  if (!codec) throw new FrameDecodeError(`no gateway codec for transfer syntax ${transferSyntax}`);
  const { NativeCodecs, Context } = await loadCodecs();
  const context = new Context({
    width: geometry.columns,
    height: geometry.rows,
    bitsAllocated: geometry.bitsAllocated,
    bitsStored: geometry.bitsStored,
    samplesPerPixel: geometry.samplesPerPixel,
    pixelRepresentation: geometry.pixelRepresentation,
    planarConfiguration: geometry.planarConfiguration,
    photometricInterpretation: geometry.photometricInterpretation,
    encodedBuffer: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length),
  });
  let decoded: Uint8Array | undefined;
  try {
    // Only JPEG data in YBR is converted (PS3.5 §8.2.1); JPEG data of an RGB image carries no colour
    // transform (the codec would otherwise assume JFIF's YCbCr for three components without markers).
    // RLE keeps its photometric interpretation; JPEG 2000 undoes its own component transform.
    const convertColorspaceToRgb = codec === 'decodeJpeg' && geometry.photometricInterpretation.startsWith('YBR');
    decoded = NativeCodecs[codec](context, { convertColorspaceToRgb }).getDecodedBuffer();
  } catch (err) {
    // A WebAssembly trap ("unreachable") on data the codec does not support.
    throw new FrameDecodeError(`the ${codec.slice(6)} codec could not decode the frame: ${(err as Error).message}`);
  }
  if (!decoded || decoded.length < expectedBytes(geometry)) {
    throw new FrameDecodeError(`the ${codec.slice(6)} codec produced ${decoded?.length ?? 0} bytes, ${expectedBytes(geometry)} expected`);
  }
  // A copy: the decoded bytes live in the codec's WebAssembly memory, reused by the next decode.
  return Buffer.from(decoded.subarray(0, expectedBytes(geometry)));
}
