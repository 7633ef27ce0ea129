/**
 * multipart/related (RFC 2387) as DICOMweb uses it (PS3.18 §8.6.1.2): a
 * streaming reader (each part is a stream, nothing is held whole) on the
 * scanner of multipart-scanner.ts, and the small pieces needed to write one.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseMediaType } from './accept.js';
import { MAX_HEADER_BYTES, MultipartScanner, type PartHeaders } from './multipart-scanner.js';

export type { PartHeaders };

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
  /** Largest header block of one part, in bytes (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Called for each part in order; the part's body must be consumed or destroyed. */
  onPart(part: MultipartPart): Promise<void> | void;
}

/** Bytes a part's stream buffers before the source waits for its reader. */
const PART_HIGH_WATER_MARK = 64 * 1024;

/** One part being handed on: its stream, fed with backpressure, and its handler's outcome. */
class PartFeed {
  readonly body = new Readable({ highWaterMark: PART_HIGH_WATER_MARK, read: () => this.wake() });
  private readonly handled: Promise<void>;
  private failure: { error: unknown } | undefined;
  private waiting: (() => void) | undefined;

  constructor(onPart: ReadMultipartOptions['onPart'], headers: PartHeaders) {
    // A consumer that destroys the body wants no more of it: stop waiting for it to read.
    this.body.once('close', () => this.wake());
    this.handled = Promise.resolve().then(() => onPart({ headers, body: this.body }));
    this.handled.catch((error: unknown) => {
      this.failure = { error };
      this.wake();
    });
  }

  /** Resolves once the body took the chunk (or was destroyed); rejects when the handler failed. */
  async write(chunk: Buffer): Promise<void> {
    this.check();
    if (this.body.destroyed || this.body.push(chunk)) return;
    await new Promise<void>((resolve) => (this.waiting = resolve));
    this.check();
  }

  /** Ends the body and waits for the handler. */
  async finish(): Promise<void> {
    if (!this.body.destroyed) this.body.push(null);
    await this.handled;
  }

  /** The read failed: a body still being read ends early (its reader sees a premature close). */
  abort(): void {
    this.body.destroy();
  }

  private check(): void {
    if (this.failure) throw this.failure.error;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

/** Where one part's bytes go (readMultipartInto). */
export interface PartSink {
  /** The next piece of the part's body; a returned promise holds the reader until it settles. */
  write(chunk: Buffer): void | Promise<void>;
  /** The part's body ended; the next part is not read before this settles. */
  end(): Promise<void>;
  /** The read failed before the part's end (a malformed body, a source error, a failed write). */
  abort(err: Error): void;
}

export interface ReadMultipartIntoOptions {
  /** Largest header block of one part, in bytes (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Called for each part in order, with its headers: where its body goes. May throw to stop the read. */
  onPart(headers: PartHeaders): PartSink;
}

/**
 * Reads a multipart stream into one sink per part, in order, without a stream
 * per part: a sink that keeps its part in memory takes each piece in the same
 * call (readMultipart's part streams cost a Readable and several promises per
 * 64 KiB). Resolves with the number of parts once the closing delimiter was read
 * (and the source ended); rejects on a malformed or truncated stream, a source
 * error, or a sink that failed. The source is destroyed on failure.
 */
export async function readMultipartInto(source: Readable, boundary: string, options: ReadMultipartIntoOptions): Promise<number> {
  const scanner = new MultipartScanner(boundary, false, options.maxHeaderBytes ?? MAX_HEADER_BYTES);
  let sink: PartSink | undefined;
  let count = 0;
  const endPart = async () => {
    const ending = sink;
    sink = undefined; // a sink whose end fails has cleaned up after itself
    await ending?.end();
  };
  try {
    for await (const chunk of source) {
      for (const event of scanner.push(chunk as Buffer)) {
        if (event.kind === 'data') {
          const pending = sink!.write(event.chunk);
          if (pending) await pending;
          continue;
        }
        await endPart();
        count++;
        sink = options.onPart(event.headers);
      }
    }
    scanner.end();
    await endPart();
    return count;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    sink?.abort(error);
    source.destroy();
    throw error;
  }
}

/**
 * Reads a multipart stream, handing each part to `onPart` as a stream, one at
 * a time (the next part waits until the previous handler settled:
 * backpressure). Same outcome as readMultipartInto.
 */
export function readMultipart(source: Readable, boundary: string, options: ReadMultipartOptions): Promise<number> {
  return readMultipartInto(source, boundary, {
    ...(options.maxHeaderBytes !== undefined && { maxHeaderBytes: options.maxHeaderBytes }),
    onPart: (headers) => {
      const feed = new PartFeed(options.onPart, headers);
      return { write: (chunk) => feed.write(chunk), end: () => feed.finish(), abort: () => feed.abort() };
    },
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
