/**
 * Bulk data values read from a cached instance file (PS3.18 §10.4.1.1.5),
 * whole or one byte range of them, little endian as PS3.18 §8.7.3.3.1 sends
 * uncompressed bulk data.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { multipartContentType } from '../../../http/retrieve-negotiation.js';
import { swapBytes } from '../frames/bytes.js';
import { openCached, type AnswerSource, type StreamAnswer } from '../frames/answer.js';
import type { InstanceSummary } from '../frames/frame-index.js';
import { contentRange, resolveRange, type RangeRequest, type ResolvedRange } from './range.js';

export interface ValueOnDisk {
  valueOffset: number;
  length: number;
  swapWordBytes: number;
}

const OCTET_STREAM = 'application/octet-stream';
const CHUNK_BYTES = 1024 * 1024; // a multiple of every word size, so swaps never straddle chunks

/** Where the value at a top-level tag is, if the file can serve it as bulk data as is. */
export function valueOnDisk(summary: InstanceSummary, path: string): ValueOnDisk | undefined {
  if (path.includes('/')) return undefined; // values inside sequence items are not indexed
  const tag = path.toUpperCase();
  const pixel = summary.pixel;
  if (tag === '7FE00010') {
    if (!pixel || pixel.encapsulated) return undefined;
    // Without a frame table the word size of big endian data is unknown.
    if (!summary.littleEndian && !pixel.table) return undefined;
    const swapWordBytes = pixel.table?.kind === 'native' ? pixel.table.swapWordBytes : 0;
    return { valueOffset: pixel.valueOffset, length: pixel.length, swapWordBytes };
  }
  // Other values of a big endian file would need swapping by VR: left to the upstream.
  const value = summary.littleEndian ? summary.values.get(tag) : undefined;
  return value ? { valueOffset: value.valueOffset, length: value.length, swapWordBytes: 0 } : undefined;
}

async function* readRange(handle: FileHandle, value: ValueOnDisk, range: ResolvedRange): AsyncGenerator<Buffer> {
  const word = Math.max(1, value.swapWordBytes);
  // Read whole words around the range so each can be swapped, then trim.
  const from = range.start - (range.start % word);
  const to = Math.min(value.length, range.end + 1 + ((word - ((range.end + 1) % word)) % word));
  try {
    for (let at = from; at < to; at += CHUNK_BYTES) {
      const size = Math.min(CHUNK_BYTES, to - at);
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(buf, 0, size, value.valueOffset + at);
      if (bytesRead !== size) throw new Error('cached instance file is shorter than its index says');
      swapBytes(buf, value.swapWordBytes);
      const skip = at === from ? range.start - from : 0;
      const keep = Math.min(size, range.end + 1 - at);
      yield buf.subarray(skip, keep);
    }
  } finally {
    await handle.close();
  }
}


async function* framed(inner: AsyncGenerator<Buffer>, head: Buffer, closing: Buffer): AsyncGenerator<Buffer> {
  yield head;
  yield* inner;
  yield closing;
}

export interface DiskBulkRequest {
  file: string;
  value: ValueOnDisk;
  multipart: boolean;
  range?: RangeRequest;
}

function unsatisfiable(total: number): StreamAnswer {
  return { status: 416, headers: { 'Content-Range': `bytes */${total}`, 'Content-Length': '0' }, body: Buffer.alloc(0), source: 'HIT' };
}

export async function bulkFromDisk(req: DiskBulkRequest, source: AnswerSource): Promise<StreamAnswer> {
  const total = req.value.length;
  const whole: ResolvedRange = { start: 0, end: total - 1 };
  const resolved = req.range && !req.multipart ? resolveRange(req.range, total) : whole;
  if (resolved === 'unsatisfiable') return { ...unsatisfiable(total), source };
  const handle = await openCached(req.file);
  const bytes = resolved.end - resolved.start + 1;
  const chunks = readRange(handle, req.value, resolved);
  if (!req.multipart) {
    const headers: Record<string, string> = { 'Content-Type': OCTET_STREAM, 'Content-Length': String(bytes), 'Accept-Ranges': 'bytes' };
    const partial = req.range !== undefined && total > 0;
    if (partial) headers['Content-Range'] = contentRange(resolved, total);
    return { status: partial ? 206 : 200, headers, body: Readable.from(chunks, { objectMode: false }), source };
  }
  const boundary = newBoundary();
  const head = partHeader(boundary, { 'Content-Type': OCTET_STREAM, 'Content-Length': String(bytes) }, true);
  const closing = closingDelimiter(boundary);
  const headers = { 'Content-Type': multipartContentType(OCTET_STREAM, boundary), 'Content-Length': String(head.length + bytes + closing.length) };
  return { status: 200, headers, body: Readable.from(framed(chunks, head, closing), { objectMode: false }), source };
}
