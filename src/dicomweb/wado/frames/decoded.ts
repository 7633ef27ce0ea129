/**
 * Frames of a compressed instance answered uncompressed (PS3.18 §10.4.1.1.6
 * with `transfer-syntax` 1.2.840.10008.1.2.1, the default of §8.7.3.5.2), decoded
 * by the gateway from the instance on its disk: one frame read and decoded per
 * part, as the client reads, so a long frame list never sits in memory. The first
 * frame is decoded before anything is sent, so a frame the codec cannot decode is
 * still asked of the archive instead (FrameDecodeError reaches the caller).
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { decodeFrame, type FrameGeometry } from '../../../dicom/codecs/frame-decoder.js';
import { EXPLICIT_VR_LE } from '../../../dicom/transfer-syntax.js';
import { closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { multipartContentType } from '../../../http/retrieve-negotiation.js';
import { frameContentType, openCached, framePartHeaders, type AnswerSource, type StreamAnswer } from './answer.js';
import { readFrame } from './bytes.js';
import { frameExtent, type FrameTable } from './layout.js';
import { OCTET_STREAM } from './negotiation.js';

export interface DecodedFrames {
  file: string;
  table: FrameTable;
  frames: number[];
  multipart: boolean;
  /** Transfer syntax of the stored (compressed) frames. */
  storedTransferSyntax: string;
  geometry: FrameGeometry;
  location(frame: number): string;
}

const FORMAT = { partType: OCTET_STREAM, transferSyntax: EXPLICIT_VR_LE } as const;

function decodedLength(g: FrameGeometry): number {
  return g.rows * g.columns * g.samplesPerPixel * Math.ceil(g.bitsAllocated / 8);
}

async function decodeOne(handle: FileHandle, req: DecodedFrames, frame: number): Promise<Buffer> {
  return decodeFrame(req.storedTransferSyntax, req.geometry, await readFrame(handle, frameExtent(req.table, frame)));
}

async function* decodedParts(handle: FileHandle, req: DecodedFrames, first: Buffer, heads: Buffer[], closing: Buffer): AsyncGenerator<Buffer> {
  try {
    for (let i = 0; i < req.frames.length; i++) {
      if (heads[i]) yield heads[i]!;
      yield i === 0 ? first : await decodeOne(handle, req, req.frames[i]!);
    }
    if (closing.length > 0) yield closing;
  } finally {
    await handle.close();
  }
}

/** The answer for frames already validated against the table's frame count. */
export async function framesDecoded(req: DecodedFrames, source: AnswerSource): Promise<StreamAnswer> {
  const handle = await openCached(req.file);
  let first: Buffer;
  try {
    first = await decodeOne(handle, req, req.frames[0]!);
  } catch (err) {
    await handle.close();
    throw err;
  }
  const length = decodedLength(req.geometry);
  const boundary = newBoundary();
  const format = { multipart: req.multipart, ...FORMAT };
  const heads = req.multipart ? req.frames.map((f, i) => partHeader(boundary, framePartHeaders(format, length, req.location(f)), i === 0)) : [];
  const closing = req.multipart ? closingDelimiter(boundary) : Buffer.alloc(0);
  const total = heads.reduce((n, h) => n + h.length, 0) + length * req.frames.length + closing.length;
  const contentType = req.multipart ? multipartContentType(OCTET_STREAM, boundary, EXPLICIT_VR_LE) : frameContentType(OCTET_STREAM, EXPLICIT_VR_LE);
  const body = Readable.from(decodedParts(handle, req, first, heads, closing), { objectMode: false, highWaterMark: 64 * 1024 });
  return { status: 200, headers: { 'Content-Type': contentType, 'Content-Length': String(total) }, body, source };
}
