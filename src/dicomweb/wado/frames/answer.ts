/**
 * Frames answered from a cached instance file (PS3.18 §10.4.1.1.6): one part
 * per frame, `Content-Type: <part type>; transfer-syntax=<uid>` as PS3.18
 * §8.7.3.3.2 and §8.7.3.5.1 write it (the parameter beside the type, not inside
 * the quoted `type` value as the test upstream does), or a single part when the
 * client accepts one for one frame. Small answers are read into one buffer;
 * large ones stream chunk by chunk.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { multipartContentType } from '../../../http/retrieve-negotiation.js';
import { readFrameChunks, readFrameInto } from './bytes.js';
import { frameExtent, type FrameExtent, type FrameTable } from './layout.js';

/** HIT/MISS: the instance store; BYPASS: relayed from the upstream; EDGE: copied from the edge cache (src/edge), no archive asked. */
export type AnswerSource = 'HIT' | 'MISS' | 'BYPASS' | 'EDGE';

/** A finished decision about what to send: headers, then a buffer or a stream. */
export interface StreamAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | Readable;
  /** Where the bytes come from, for the X-Gateway-Cache header: disk (HIT/MISS) or the upstream (BYPASS). */
  source: AnswerSource;
}

export interface PartFormat {
  multipart: boolean;
  partType: string;
  transferSyntax: string;
}

/** Answers up to this size are assembled in memory: one read and one write beat a stream. */
const ASSEMBLE_BYTES = 4 * 1024 * 1024;

export class CachedFileGoneError extends Error {
  readonly code = 'CACHED_FILE_GONE';
}

export function frameContentType(partType: string, transferSyntax: string): string {
  return `${partType}; transfer-syntax=${transferSyntax}`;
}

export function framePartHeaders(format: PartFormat, length: number | undefined, location: string): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': frameContentType(format.partType, format.transferSyntax) };
  if (length !== undefined) headers['Content-Length'] = String(length);
  headers['Content-Location'] = location;
  return headers;
}

/** Opens a cached file for reading; CachedFileGoneError when it was evicted meanwhile. */
export async function openCached(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    // Evicted between lookup and open: the caller fetches the instance again.
    if ((err as { code?: string }).code === 'ENOENT') throw new CachedFileGoneError(`cached file ${file} is gone`);
    throw err;
  }
}

interface Layout {
  heads: Buffer[];
  extents: FrameExtent[];
  closing: Buffer;
  total: number;
}

async function* streamParts(handle: FileHandle, layout: Layout): AsyncGenerator<Buffer> {
  try {
    for (let i = 0; i < layout.extents.length; i++) {
      if (layout.heads[i]) yield layout.heads[i]!;
      yield* readFrameChunks(handle, layout.extents[i]!);
    }
    if (layout.closing.length > 0) yield layout.closing;
  } finally {
    await handle.close();
  }
}

/** The whole answer in one buffer, frames read straight into place. */
async function assemble(handle: FileHandle, layout: Layout): Promise<Buffer> {
  try {
    const out = Buffer.allocUnsafe(layout.total);
    let at = 0;
    for (let i = 0; i < layout.extents.length; i++) {
      const head = layout.heads[i];
      if (head) at += head.copy(out, at);
      await readFrameInto(handle, layout.extents[i]!, out, at);
      at += layout.extents[i]!.length;
    }
    layout.closing.copy(out, at);
    return out;
  } finally {
    await handle.close();
  }
}

export interface DiskFrames {
  file: string;
  table: FrameTable;
  frames: number[];
  format: PartFormat;
  location(frame: number): string;
}

/** The answer for frames already validated against the table's frame count. */
export async function framesFromDisk(req: DiskFrames, source: AnswerSource): Promise<StreamAnswer> {
  const extents = req.frames.map((frame) => frameExtent(req.table, frame));
  const boundary = newBoundary();
  const heads = req.format.multipart
    ? extents.map((e, i) => partHeader(boundary, framePartHeaders(req.format, e.length, req.location(req.frames[i]!)), i === 0))
    : [];
  const closing = req.format.multipart ? closingDelimiter(boundary) : Buffer.alloc(0);
  const total = heads.reduce((n, h) => n + h.length, 0) + extents.reduce((n, e) => n + e.length, 0) + closing.length;
  const layout: Layout = { heads, extents, closing, total };
  const contentType = req.format.multipart
    ? multipartContentType(req.format.partType, boundary, req.format.transferSyntax)
    : frameContentType(req.format.partType, req.format.transferSyntax);
  const headers = { 'Content-Type': contentType, 'Content-Length': String(total) };
  const handle = await openCached(req.file);
  const body = total <= ASSEMBLE_BYTES ? await assemble(handle, layout) : Readable.from(streamParts(handle, layout), { objectMode: false, highWaterMark: 64 * 1024 });
  return { status: 200, headers, body, source };
}
