/**
 * multipart/related (RFC 2387) as DICOMweb uses it (PS3.18 §8.6.1.2): a
 * streaming reader built on dicer (each part is a stream, nothing is held
 * whole), and the small pieces needed to write one.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import Dicer from 'dicer';
import { parseMediaType } from './accept.js';

export interface PartHeaders {
  /** Lower-cased header names; the first value of each. */
  [name: string]: string;
}

export interface MultipartPart {
  headers: PartHeaders;
  body: Readable;
}

/** The boundary of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const media = contentType ? parseMediaType(contentType) : undefined;
  if (!media || media.type !== 'multipart') return undefined;
  const boundary = media.params.boundary;
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

export interface ReadMultipartOptions {
  /** Largest header block of one part, in bytes. */
  maxHeaderBytes?: number;
  /** Called for each part in order; the part's body must be consumed or destroyed. */
  onPart(part: MultipartPart): Promise<void> | void;
}

function firstValues(raw: Record<string, string[]>): PartHeaders {
  const out: PartHeaders = {};
  for (const [name, values] of Object.entries(raw)) if (values[0] !== undefined) out[name.toLowerCase()] = values[0];
  return out;
}

/**
 * Reads a multipart stream, handing each part to `onPart` one at a time
 * (the next part waits until the previous handler settled: backpressure).
 * Resolves with the number of parts once the closing delimiter was read;
 * rejects on a malformed or truncated stream.
 */
export function readMultipart(source: Readable, boundary: string, options: ReadMultipartOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const dicer = new Dicer({ boundary, maxHeaderPairs: 100, partHwm: 64 * 1024 } as Dicer.Config);
    let count = 0;
    let chain: Promise<void> = Promise.resolve();
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      source.unpipe(dicer);
      source.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    dicer.on('part', (part: Readable & { on(event: 'header', cb: (h: Record<string, string[]>) => void): unknown }) => {
      count++;
      let gotHeader = false;
      // Flowing until the header block is read: a part whose headers never end (no blank
      // line before the next delimiter) gets no 'header' event and would stall dicer unread.
      part.resume();
      part.once('header', (raw) => {
        gotHeader = true;
        part.pause(); // dicer pushes body bytes only after 'header': none is lost
        const handled = chain.then(() => options.onPart({ headers: firstValues(raw), body: part }));
        chain = handled.catch((err: unknown) => {
          part.resume();
          fail(err);
        });
      });
      part.once('end', () => {
        if (!gotHeader) fail(new Error('a multipart part has no complete header block (no blank line after its headers)'));
      });
      part.once('error', fail);
    });
    dicer.once('error', fail);
    dicer.once('finish', () => {
      void chain.then(() => {
        // dicer reports a stream that ends before its closing delimiter as an error first.
        if (!failed) resolve(count);
      });
    });
    source.once('error', fail);
    source.pipe(dicer);
  });
}

export function newBoundary(): string {
  return `dwgw-${randomUUID()}`;
}

/** Header block that opens one part (delimiter line + headers + blank line). */
export function partHeader(boundary: string, headers: Record<string, string>, first: boolean): Buffer {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(`${first ? '' : '\r\n'}--${boundary}\r\n${lines.join('\r\n')}\r\n\r\n`);
}

export function closingDelimiter(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`);
}
