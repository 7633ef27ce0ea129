/**
 * A lean streaming scanner of multipart/related bodies (RFC 2046 §5.1.1,
 * PS3.18 §8.6.1.2): STOW-RS requests and the archive's retrieve answers
 * (through readMultipart in multipart.ts), frames and bulk data (scanMultipart).
 * Body bytes are handed on as sub-arrays of the chunks read: no copy, no buffering
 * beyond a delimiter's length. Delimiters are found with Buffer.indexOf (native
 * code): dicer's Boyer-Moore-Horspool in JavaScript, which this replaced for
 * whole instances, was a tenth of the gateway's CPU on STOW-RS.
 */

export interface PartHeaders {
  /** Lower-cased header names; the first value of each. */
  [name: string]: string;
}

export type MultipartEvent =
  | { kind: 'part'; headers: PartHeaders; index: number }
  | { kind: 'data'; chunk: Buffer };

/** The body is not well-formed multipart. `code` is stable (an archive's answer maps it to 502). */
export class MultipartFormatError extends Error {
  readonly code = 'UPSTREAM_MULTIPART';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
/** Default bound of one part's header block. */
export const MAX_HEADER_BYTES = 16 * 1024;

function parseHeaderBlock(block: Buffer): PartHeaders {
  const headers: PartHeaders = {};
  for (const line of block.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Start of the longest suffix of `buf` that could be the beginning of `delimiter`; buf.length if none. */
function partialDelimiterStart(buf: Buffer, delimiter: Buffer): number {
  let at = buf.indexOf(0x0d, Math.max(0, buf.length - delimiter.length + 1));
  while (at !== -1) {
    if (delimiter.subarray(0, buf.length - at).equals(buf.subarray(at))) return at;
    at = buf.indexOf(0x0d, at + 1);
  }
  return buf.length;
}

type State = 'preamble' | 'boundary' | 'headers' | 'body' | 'done';

/**
 * Push-style scanner: `push` returns the events a chunk completes. Each state
 * handler consumes from `buf` and returns false when it needs more bytes.
 */
export class MultipartScanner {
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  // A leading CRLF lets the first delimiter (which has none before it) match like the others.
  private pending: Buffer = CRLF;
  private buf: Buffer = Buffer.alloc(0);
  private index = 0;
  private events: MultipartEvent[] = [];

  /** `inBody`: the first part's headers were read elsewhere; scanning starts in its body. */
  constructor(boundary: string, inBody = false, private readonly maxHeaderBytes = MAX_HEADER_BYTES) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    if (inBody) {
      this.state = 'body';
      this.pending = Buffer.alloc(0);
      this.index = 1;
    }
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer): MultipartEvent[] {
    this.buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    this.events = [];
    while (this.step());
    return this.events;
  }

  /** Throws unless the closing delimiter was seen. */
  end(): void {
    if (this.state !== 'done') throw new MultipartFormatError('the multipart answer ended before its closing boundary');
  }

  private step(): boolean {
    switch (this.state) {
      case 'done': return false; // epilogue: ignored (RFC 2046 §5.1.1)
      case 'boundary': return this.afterDelimiter();
      case 'headers': return this.headers();
      default: return this.untilDelimiter();
    }
  }

  private wait(): false {
    this.pending = Buffer.from(this.buf);
    return false;
  }

  private untilDelimiter(): boolean {
    const { buf, delimiter } = this;
    const at = buf.indexOf(delimiter);
    const dataEnd = at === -1 ? partialDelimiterStart(buf, delimiter) : at;
    if (this.state === 'body' && dataEnd > 0) this.events.push({ kind: 'data', chunk: buf.subarray(0, dataEnd) });
    if (at === -1) {
      this.buf = buf.subarray(dataEnd);
      return this.wait();
    }
    this.buf = buf.subarray(at + delimiter.length);
    this.state = 'boundary';
    return true;
  }

  /** After a delimiter: "--" closes the body; otherwise optional white space, then CRLF. */
  private afterDelimiter(): boolean {
    const { buf } = this;
    if (buf.length < 2) return this.wait();
    if (buf[0] === 0x2d && buf[1] === 0x2d) {
      this.state = 'done';
      return false;
    }
    const eol = buf.indexOf(CRLF);
    if (eol === -1 && buf.length <= 256) return this.wait();
    if (eol === -1 || buf.subarray(0, eol).toString('latin1').trim() !== '') throw new MultipartFormatError('garbage after a multipart boundary');
    this.buf = buf.subarray(eol + 2);
    this.state = 'headers';
    return true;
  }

  private headers(): boolean {
    const { buf } = this;
    if (buf.length < 2) return this.wait();
    const empty = buf[0] === 0x0d && buf[1] === 0x0a;
    const blank = empty ? 0 : buf.indexOf(HEADER_END);
    if (blank > this.maxHeaderBytes || (blank === -1 && buf.length > this.maxHeaderBytes)) {
      throw new MultipartFormatError(`part headers longer than ${this.maxHeaderBytes} bytes (or no blank line after them)`);
    }
    if (blank === -1) return this.wait();
    this.events.push({ kind: 'part', headers: empty ? {} : parseHeaderBlock(buf.subarray(0, blank)), index: this.index++ });
    this.buf = buf.subarray(empty ? 2 : blank + 4);
    this.state = 'body';
    return true;
  }
}

/**
 * Yields each part's headers, then its body chunks. Throws MultipartFormatError
 * on a malformed stream or one that ends before its closing delimiter.
 */
export async function* scanMultipart(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<MultipartEvent> {
  yield* scanFrom(new MultipartScanner(boundary), source);
}

/** Scans the rest of an answer whose first part header block was already read: `rest` starts its body. */
export async function* scanAfterHead(source: AsyncIterable<Buffer>, boundary: string, rest: Buffer): AsyncGenerator<MultipartEvent> {
  const scanner = new MultipartScanner(boundary, true);
  if (rest.length > 0) yield* scanner.push(rest);
  yield* scanFrom(scanner, source);
}

async function* scanFrom(scanner: MultipartScanner, source: AsyncIterable<Buffer>): AsyncGenerator<MultipartEvent> {
  // Read to the end even after the closing delimiter: an unfinished body would cost the keep-alive socket.
  for await (const chunk of source) yield* scanner.push(chunk);
  scanner.end();
}
