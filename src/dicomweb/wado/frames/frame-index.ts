/**
 * What the frame and bulk data resources need to know about a cached instance
 * file, found once when it enters the instance store: the transfer syntax, the
 * frame table (frames-layout.ts) and where top-level values lie. Deflated files
 * (PS3.5 §A.5) are inflated in place first, so that frames are byte ranges too.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { fileSource, indexPart10, numberValue, stringValue, type Part10Index, type PixelDataInfo } from '../../../dicom/part10/index.js';
import { readMeta } from '../../../dicom/part10/meta.js';
import { DEFLATED_EXPLICIT_VR_LE } from '../../../dicom/transfer-syntax.js';
import type { FrameGeometry } from '../../../dicom/codecs/frame-decoder.js';
import {
  FrameLayoutError, encapsulatedFrameTable, nativeFrameTable, type ByteRange, type FrameTable,
} from './layout.js';

export interface ValueLocation {
  vr: string;
  valueOffset: number;
  length: number;
}

export interface InstanceSummary {
  /** As stored (for a deflated file: the deflated syntax, although the cached file is inflated). */
  transferSyntaxUid: string;
  littleEndian: boolean;
  sopClassUid?: string;
  /** Absent when the instance has no pixel data (SR, PDF, waveforms…). */
  pixel?: { encapsulated: boolean; table?: FrameTable; layoutError?: string; valueOffset: number; length: number; geometry?: FrameGeometry };
  /** Top-level defined-length values worth serving as bulk data, by upper-case tag. */
  values: Map<string, ValueLocation>;
}

/** Values shorter than this are inline in /metadata, never bulk data. */
const MIN_BULK_BYTES = 64;

async function inflateInPlace(file: string): Promise<void> {
  const handle = await open(file, 'r');
  let metaEnd: number;
  try {
    metaEnd = (await readMeta(fileSource(handle, (await handle.stat()).size))).end;
  } finally {
    await handle.close();
  }
  const inflated = `${file}.inflated`;
  try {
    // The File Meta group stays as it is; the dataset after it is raw deflate (RFC 1951).
    await pipeline(createReadStream(file, { start: 0, end: metaEnd - 1 }), createWriteStream(inflated));
    await pipeline(createReadStream(file, { start: metaEnd }), createInflateRaw(), createWriteStream(inflated, { flags: 'a' }));
    await rename(inflated, file);
  } catch (err) {
    await unlink(inflated).catch(() => undefined);
    throw err;
  }
}

async function readOffsets(handle: FileHandle, index: Part10Index): Promise<number[] | undefined> {
  const eot = index.elements.get('7FE00001');
  if (!eot || eot.length <= 0 || eot.length % 8 !== 0 || eot.length > 64 * 1024 * 1024) return undefined;
  const buf = Buffer.alloc(eot.length);
  await handle.read(buf, 0, eot.length, eot.valueOffset);
  const out: number[] = [];
  for (let at = 0; at < buf.length; at += 8) out.push(Number(buf.readBigUInt64LE(at)));
  return out;
}

/** Start markers of the codestreams DICOM encapsulates: JPEG/JPEG-LS SOI, J2K SOC+SIZ, JP2 signature box. */
function startsCodestream(head: Buffer): boolean {
  if (head[0] === 0xff && head[1] === 0xd8) return true;
  if (head[0] === 0xff && head[1] === 0x4f && head[2] === 0xff && head[3] === 0x51) return true;
  return head.readUInt32BE(0) === 0x0c && head.toString('latin1', 4, 8) === 'jP  ';
}

async function fragmentStarts(handle: FileHandle, fragments: ByteRange[]): Promise<boolean[]> {
  const head = Buffer.alloc(8);
  const out: boolean[] = [];
  for (const fragment of fragments) {
    head.fill(0);
    await handle.read(head, 0, Math.min(8, fragment.length), fragment.offset);
    out.push(startsCodestream(head));
  }
  return out;
}

async function encapsulatedTable(handle: FileHandle, index: Part10Index, pixel: PixelDataInfo, frames: number): Promise<FrameTable> {
  const input = { fragments: pixel.fragments, basicOffsetTable: pixel.basicOffsetTable, extendedOffsets: await readOffsets(handle, index), numberOfFrames: frames };
  try {
    return encapsulatedFrameTable(input);
  } catch (err) {
    if (!(err instanceof FrameLayoutError) || frames < 2 || pixel.fragments.length < frames) throw err;
    return encapsulatedFrameTable({ ...input, startsCodestream: await fragmentStarts(handle, pixel.fragments) });
  }
}

async function frameTable(handle: FileHandle, index: Part10Index, pixel: PixelDataInfo): Promise<FrameTable> {
  const frames = Math.max(1, Math.floor(numberValue(index, 'NumberOfFrames') ?? 1));
  if (pixel.encapsulated) return encapsulatedTable(handle, index, pixel, frames);
  return nativeFrameTable({
    valueOffset: pixel.valueOffset,
    valueLength: pixel.length,
    vr: pixel.vr,
    rows: numberValue(index, 'Rows') ?? 0,
    columns: numberValue(index, 'Columns') ?? 0,
    samplesPerPixel: numberValue(index, 'SamplesPerPixel') ?? 1,
    bitsAllocated: numberValue(index, 'BitsAllocated') ?? 0,
    numberOfFrames: frames,
    bigEndian: !index.encoding.littleEndian,
  });
}

function bulkValues(index: Part10Index): Map<string, ValueLocation> {
  const values = new Map<string, ValueLocation>();
  for (const [tag, e] of index.elements) {
    if (e.vr !== 'SQ' && e.length >= MIN_BULK_BYTES) values.set(tag, { vr: e.vr, valueOffset: e.valueOffset, length: e.length });
  }
  return values;
}

/** The Image Pixel Module attributes a codec needs (PS3.3 C.7.6.3); undefined when one is missing. */
export function frameGeometry(index: Part10Index): FrameGeometry | undefined {
  const rows = numberValue(index, 'Rows');
  const columns = numberValue(index, 'Columns');
  const bitsAllocated = numberValue(index, 'BitsAllocated');
  const photometricInterpretation = stringValue(index, 'PhotometricInterpretation')?.trim();
  if (!rows || !columns || !bitsAllocated || !photometricInterpretation) return undefined;
  return {
    rows,
    columns,
    bitsAllocated,
    bitsStored: numberValue(index, 'BitsStored') ?? bitsAllocated,
    samplesPerPixel: numberValue(index, 'SamplesPerPixel') ?? 1,
    pixelRepresentation: numberValue(index, 'PixelRepresentation') ?? 0,
    planarConfiguration: numberValue(index, 'PlanarConfiguration') ?? 0,
    photometricInterpretation,
  };
}

async function pixelSummary(handle: FileHandle, index: Part10Index): Promise<InstanceSummary['pixel']> {
  const pixel = index.pixelData;
  if (!pixel) return undefined;
  const geometry = frameGeometry(index);
  const base = { encapsulated: pixel.encapsulated, valueOffset: pixel.valueOffset, length: pixel.length, ...(geometry && { geometry }) };
  try {
    return { ...base, table: await frameTable(handle, index, pixel) };
  } catch (err) {
    if (err instanceof FrameLayoutError) return { ...base, layoutError: err.message };
    throw err;
  }
}

async function isDeflated(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    return (await readMeta(fileSource(handle, (await handle.stat()).size))).transferSyntaxUid === DEFLATED_EXPLICIT_VR_LE;
  } finally {
    await handle.close();
  }
}

/** Indexes the cached file at `file` (inflating it first when deflated). Throws Part10Error on an unreadable file. */
export async function describeInstance(file: string): Promise<InstanceSummary> {
  const deflated = await isDeflated(file);
  if (deflated) await inflateInPlace(file);
  return indexFile(file, deflated);
}

/**
 * Indexes a file that is not deflated, without changing it (another store's
 * file, such as the edge cache's). Throws Part10Error on an unreadable file.
 */
export function describeUnchanged(file: string, size?: number): Promise<InstanceSummary> {
  return indexFile(file, false, size);
}

/** `size`, when the caller knows it (the edge's index row), saves a stat. */
async function indexFile(file: string, deflated: boolean, size?: number): Promise<InstanceSummary> {
  const handle = await open(file, 'r');
  try {
    const index = await indexPart10(fileSource(handle, size ?? (await handle.stat()).size), { assumeInflated: deflated });
    return {
      transferSyntaxUid: index.transferSyntaxUid,
      littleEndian: index.encoding.littleEndian,
      sopClassUid: stringValue(index, 'SOPClassUID'),
      pixel: await pixelSummary(handle, index),
      values: bulkValues(index),
    };
  } finally {
    await handle.close();
  }
}
