/**
 * Decodes the chunked transfer coding (RFC 9112 §7.1) incrementally: bytes in
 * as they arrive from the socket, cut anywhere; the chunks' data out as views
 * of those same bytes (no copy). Chunk extensions are ignored, trailer fields
 * read and dropped (§7.1.2).
 */
import { MalformedResponseError } from './response-head.js';

/** A chunk-size line or a trailer field longer than this is refused. */
const MAX_LINE_BYTES = 4096;
/** All trailer fields together. */
const MAX_TRAILER_BYTES = 64 * 1024;
/** 13 hex digits: at most 2^52 - 1, an exact JavaScript integer. */
const CHUNK_SIZE = /^([0-9a-fA-F]{1,13})[ \t]*(?:;.*)?$/;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private left = 0;
  private trailerBytes = 0;

  /** True once the last chunk and the trailer section have been read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Data carried by `buf`, in order; throws MalformedResponseError on a broken coding. Bytes after the end are ignored. */
  write(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.left, buf.length - at);
        out.push(buf.subarray(at, at + take));
        at += take;
        this.left -= take;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      at = this.readLine(buf, at);
    }
    return out;
  }

  /** Accumulates one CRLF-ended line from `at`; acts on it when complete. Returns where reading stopped. */
  private readLine(buf: Buffer, at: number): number {
    const lf = buf.indexOf(0x0a, at);
    const end = lf === -1 ? buf.length : lf + 1;
    this.line += buf.toString('latin1', at, end);
    if (this.line.length > MAX_LINE_BYTES + 2) throw new MalformedResponseError('chunk line too long');
    if (lf !== -1) {
      if (!this.line.endsWith('\r\n')) throw new MalformedResponseError('chunk line not ended by CRLF');
      const line = this.line.slice(0, -2);
      this.line = '';
      this.onLine(line);
    }
    return end;
  }

  private onLine(line: string): void {
    if (this.state === 'data-end') {
      if (line !== '') throw new MalformedResponseError('chunk data longer than its size');
      this.state = 'size';
    } else if (this.state === 'size') {
      const match = CHUNK_SIZE.exec(line);
      if (!match) throw new MalformedResponseError(`bad chunk size "${line.slice(0, 20)}"`);
      this.left = parseInt(match[1]!, 16);
      this.state = this.left === 0 ? 'trailer' : 'data';
    } else if (line === '') {
      this.state = 'done';
    } else {
      this.trailerBytes += line.length + 2;
      if (this.trailerBytes > MAX_TRAILER_BYTES) throw new MalformedResponseError('trailer section too long');
    }
  }
}
