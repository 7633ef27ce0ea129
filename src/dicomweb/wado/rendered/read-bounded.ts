/**
 * Reads a stream into memory up to a bound; beyond it the stream is destroyed
 * (which aborts an upstream body) and `tooLarge(size)` is thrown.
 */
import type { Readable } from 'node:stream';

export async function readBounded(body: Readable, maxBytes: number, tooLarge: (size: number) => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw tooLarge(size);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
