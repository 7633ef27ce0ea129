/**
 * The fast lane for the commonest relayed answer: one frame in one part of
 * known length (PS3.18 §8.6.1.2 multipart, one part). Only the upstream's part
 * header block is replaced; the frame bytes flow from the upstream socket to
 * the client through one Transform, without scanning them for delimiters.
 * The upstream's closing delimiter is checked, so a short or malformed answer
 * still ends as an error (a cut connection), never as a clean short body.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { PartHeaders } from '../../../http/multipart.js';
import { MultipartFormatError } from '../../../http/multipart-scanner.js';

export interface PartHead {
  headers: PartHeaders;
  /** Bytes read past the header block: the start of the part's body. */
  rest: Buffer;
}

const MAX_HEAD_BYTES = 16 * 1024;

function parseHeaderLines(block: string): PartHeaders {
  const headers: PartHeaders = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** The first part's headers, if `buf` holds them whole; undefined when more bytes are needed. */
export function parsePartHead(buf: Buffer, boundary: string): PartHead | undefined {
  const dash = Buffer.from(`--${boundary}`);
  const at = buf.subarray(0, dash.length).equals(dash) ? 0 : buf.indexOf(Buffer.from(`\r\n--${boundary}`));
  if (at === -1) {
    if (buf.length > MAX_HEAD_BYTES) throw new MultipartFormatError('no multipart boundary at the start of the answer');
    return undefined;
  }
  const lineStart = at === 0 ? dash.length : at + dash.length + 2;
  const eol = buf.indexOf('\r\n', lineStart);
  if (eol === -1) return undefined;
  if (buf.toString('latin1', lineStart, eol).trim() !== '') throw new MultipartFormatError('garbage after the first multipart boundary');
  const headersStart = eol + 2;
  if (buf.length >= headersStart + 2 && buf[headersStart] === 0x0d && buf[headersStart + 1] === 0x0a) {
    return { headers: {}, rest: buf.subarray(headersStart + 2) };
  }
  const end = buf.indexOf('\r\n\r\n', headersStart);
  if (end === -1) {
    if (buf.length > MAX_HEAD_BYTES) throw new MultipartFormatError('part headers too long');
    return undefined;
  }
  return { headers: parseHeaderLines(buf.toString('latin1', headersStart, end)), rest: buf.subarray(end + 4) };
}

/** Reads `body` up to the end of the first part's header block, then leaves it paused. */
export function readPartHead(body: Readable, boundary: string): Promise<PartHead> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: unknown, head?: PartHead) => {
      body.off('data', onData).off('end', onEnd).off('error', done);
      // Until the caller pipes the body on, an error must not go unheard (pipeline sees it as `errored`).
      body.on('error', () => undefined);
      body.pause();
      if (head) resolve(head);
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        const head = parsePartHead(buf, boundary);
        if (head) done(undefined, head);
      } catch (err) {
        done(err);
      }
    };
    const onEnd = () => done(new MultipartFormatError('the answer ended before its first part'));
    body.on('data', onData).once('end', onEnd).once('error', done);
  });
}

export interface BodyRelayOptions {
  boundary: string;
  /** The part's declared Content-Length. */
  length: number;
  /** What to send before the body (our part header block) and after it (our closing delimiter); empty for single part. */
  prefix: Buffer;
  suffix: Buffer;
  rest: Buffer;
}

/** Passes exactly `length` body bytes, then checks that the upstream's closing delimiter follows. */
export class BodyRelay extends Transform {
  private remaining: number;
  private tail: Buffer = Buffer.alloc(0);
  private delimited = false;
  private readonly closing: Buffer;

  constructor(private readonly options: BodyRelayOptions) {
    super();
    this.remaining = options.length;
    this.closing = Buffer.from(`\r\n--${options.boundary}--`);
    if (options.prefix.length > 0) this.push(options.prefix);
    this.relay(options.rest);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.relay(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.remaining > 0) return callback(new MultipartFormatError(`the upstream answer ended ${this.remaining} bytes before the end of the frame`));
    if (!this.delimited) return callback(new MultipartFormatError('the upstream answer did not end with its closing boundary'));
    callback();
  }

  private relay(chunk: Buffer): void {
    if (this.delimited || chunk.length === 0) return;
    if (this.remaining > 0) {
      const body = chunk.length <= this.remaining ? chunk : chunk.subarray(0, this.remaining);
      this.remaining -= body.length;
      this.push(body);
      if (body.length === chunk.length) return;
      chunk = chunk.subarray(body.length);
    }
    this.tail = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    if (this.tail.length < this.closing.length) return;
    // One frame was asked: anything but the closing delimiter (a second part, garbage) is an error.
    if (!this.tail.subarray(0, this.closing.length).equals(this.closing)) throw new MultipartFormatError('the upstream answer has more after the frame than its closing boundary');
    this.delimited = true;
    if (this.options.suffix.length > 0) this.push(this.options.suffix);
  }
}
