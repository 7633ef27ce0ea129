/**
 * A WADO-RS retrieve answer (PS3.18 §10.4.1.1.1, multipart/related of
 * application/dicom parts, §8.6.1.2) written from edge files: one part per
 * instance, each file streamed from disk (constant memory). Files are named
 * up front when all are held (the Content-Length is then known), or awaited one
 * after the other while they arrive (a prefetch is downloading them).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { closingDelimiter, newBoundary, partHeader } from '../http/multipart.js';
import { multipartContentType } from '../http/retrieve-negotiation.js';
import type { EdgeInstance } from './types.js';

export interface EdgeMultipart {
  contentType: string;
  boundary: string;
  /** Known when every instance was known before the first byte. */
  length?: number;
  body: Readable;
}

const READ_CHUNK = 256 * 1024;

function headerOf(boundary: string, instance: EdgeInstance, first: boolean): Buffer {
  return partHeader(boundary, { 'Content-Type': `application/dicom; transfer-syntax=${instance.transferSyntax}`, 'Content-Length': String(instance.size) }, first);
}

/** Streams one file, failing if it is not the size the index recorded (the client must then see a cut, not a short part). */
async function* fileBytes(instance: EdgeInstance): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of createReadStream(instance.path, { highWaterMark: READ_CHUNK })) {
    bytes += (chunk as Buffer).length;
    yield chunk as Buffer;
  }
  if (bytes !== instance.size) throw new Error(`edge file of instance ${instance.instance} has ${bytes} bytes, the index says ${instance.size}`);
}

async function* parts(boundary: string, instances: AsyncIterable<EdgeInstance> | Iterable<EdgeInstance>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const instance of instances) {
    yield headerOf(boundary, instance, first);
    first = false;
    yield* fileBytes(instance);
  }
  yield closingDelimiter(boundary);
}

/**
 * The answer body; `release` runs once when it ends, fails or is abandoned.
 * `transferSyntax` labels the answer when the client asked for a specific one.
 */
export function edgeMultipart(instances: EdgeInstance[] | AsyncIterable<EdgeInstance>, transferSyntax: string, release: () => void): EdgeMultipart {
  const boundary = newBoundary();
  const contentType = multipartContentType('application/dicom', boundary, transferSyntax);
  const body = Readable.from(parts(boundary, instances), { objectMode: false, highWaterMark: READ_CHUNK });
  body.once('close', release);
  if (!Array.isArray(instances)) return { contentType, boundary, body };
  const length = instances.reduce((n, inst, i) => n + headerOf(boundary, inst, i === 0).length + inst.size, 0) + closingDelimiter(boundary).length;
  return { contentType, boundary, length, body };
}
