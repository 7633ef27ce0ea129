/**
 * A WADO-RS retrieve answer (PS3.18 §10.4.1.1.1, multipart/related of
 * application/dicom parts, §8.6.1.2) written from edge files: one part per
 * instance, each file streamed from disk (constant memory). Files are named
 * up front when all are held (the Content-Length is then known), or awaited one
 * after the other while they arrive (a prefetch is downloading them).
 * Files are read into reused slabs (http/slab-pool.ts), given back once written
 * to the client: with fresh 256 KiB buffers, garbage collection was a third of
 * the gateway's CPU when it served prefetched studies (bench/README.md,
 * "Reading after a prefetch").
 */
import { close, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { closingDelimiter, newBoundary, partHeader } from '../http/multipart.js';
import { multipartContentType } from '../http/retrieve-negotiation.js';
import { SlabCursor, type SlabPool } from '../http/slab-pool.js';
import type { EdgeInstance } from './types.js';

export interface EdgeMultipart {
  contentType: string;
  boundary: string;
  /** Known when every instance was known before the first byte. */
  length?: number;
  body: Readable;
  /** Gives a body chunk back once nothing reads it any more (StreamedResponse.release). */
  releaseChunk: (chunk: Buffer) => void;
}

function headerOf(boundary: string, instance: EdgeInstance, first: boolean): Buffer {
  return partHeader(boundary, { 'Content-Type': `application/dicom; transfer-syntax=${instance.transferSyntax}`, 'Content-Length': String(instance.size) }, first);
}

/**
 * Streams one file into the answer's slabs, failing if it is not the size the
 * index recorded (the client must then see a cut, not a short part). Each read
 * asks for one byte more than is left, so that a longer file shows in the same read.
 * A plain descriptor with the callback API, closed without waiting: a
 * FileHandle per file made serving a 200-file series cost 63-85 ms of gateway
 * CPU, against 58-65 ms this way (bench/README.md, "Repeated series retrieves").
 */
async function* fileBytes(instance: EdgeInstance, reads: SlabCursor, slabs: SlabPool): AsyncGenerator<Buffer> {
  const fd = await new Promise<number>((resolve, reject) => open(instance.path, 'r', (err, opened) => (err ? reject(err) : resolve(opened))));
  try {
    let bytes = 0;
    for (;;) {
      const space = reads.space(instance.size - bytes + 1);
      const wanted = Math.min(space.length, instance.size - bytes + 1);
      const bytesRead = await new Promise<number>((resolve, reject) => read(fd, space, 0, wanted, bytes, (err, n) => (err ? reject(err) : resolve(n))));
      const chunk = space.subarray(0, Math.min(bytesRead, instance.size - bytes));
      reads.advance(chunk.length);
      bytes += bytesRead;
      if (bytes > instance.size || bytesRead === 0) break;
      slabs.hold(chunk);
      yield chunk;
      if (bytesRead < wanted) break; // a short read of a regular file: its end
    }
    if (bytes !== instance.size) throw new Error(`edge file of instance ${instance.instance} has ${bytes > instance.size ? 'more than ' : ''}${bytes} bytes, the index says ${instance.size}`);
  } finally {
    close(fd, () => undefined);
  }
}

async function* parts(boundary: string, instances: AsyncIterable<EdgeInstance> | Iterable<EdgeInstance>, slabs: SlabPool): AsyncGenerator<Buffer> {
  // One cursor for the whole answer: small files share a slab instead of pinning one each.
  const reads = new SlabCursor(slabs);
  try {
    let first = true;
    for await (const instance of instances) {
      yield headerOf(boundary, instance, first);
      first = false;
      yield* fileBytes(instance, reads, slabs);
    }
    yield closingDelimiter(boundary);
  } finally {
    reads.close();
  }
}

/**
 * The answer body; `release` runs once when it ends, fails or is abandoned.
 * `transferSyntax` labels the answer when the client asked for a specific one.
 */
export function edgeMultipart(instances: EdgeInstance[] | AsyncIterable<EdgeInstance>, transferSyntax: string, release: () => void, slabs: SlabPool): EdgeMultipart {
  const boundary = newBoundary();
  const contentType = multipartContentType('application/dicom', boundary, transferSyntax);
  const body = Readable.from(parts(boundary, instances, slabs), { objectMode: false, highWaterMark: slabs.slabBytes });
  body.once('close', release);
  const releaseChunk = (chunk: Buffer) => slabs.release(chunk);
  if (!Array.isArray(instances)) return { contentType, boundary, body, releaseChunk };
  const length = instances.reduce((n, inst, i) => n + headerOf(boundary, inst, i === 0).length + inst.size, 0) + closingDelimiter(boundary).length;
  return { contentType, boundary, length, body, releaseChunk };
}
