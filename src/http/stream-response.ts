/**
 * Streams an upstream body to the client with backpressure, in constant memory.
 * - A client that goes away destroys the chain, which aborts the upstream request.
 * - An upstream that fails or ends early (a multipart body without its closing
 *   delimiter: Orthanc sends multi-part answers close-delimited, so a dropped
 *   connection looks like a clean end) destroys the client connection, so the
 *   client sees a reset, never a silently truncated "success".
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from 'pino';

/** Passes bytes through unchanged, counting them (a 'data' listener would start the flow too early). */
export class CountingStream extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** Counts, and fails at the end if `--boundary--` never appeared. */
export class ClosingDelimiterGuard extends CountingStream {
  private readonly delimiter: Buffer;
  private tail: Buffer = Buffer.alloc(0);
  private seen = false;

  constructor(boundary: string) {
    super();
    this.delimiter = Buffer.from(`--${boundary}--`);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (!this.seen) {
      // Only the last bytes of the previous chunk can start a delimiter that spans chunks.
      const window = this.tail.length ? Buffer.concat([this.tail, chunk.subarray(0, this.delimiter.length)]) : Buffer.alloc(0);
      this.seen = window.includes(this.delimiter) || chunk.includes(this.delimiter);
      this.tail = chunk.subarray(Math.max(0, chunk.length - this.delimiter.length + 1));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.seen ? null : new Error('upstream multipart body ended before its closing delimiter'));
  }
}

export interface StreamOptions {
  /** When given, the body must end with this multipart boundary's closing delimiter. */
  boundary?: string;
  log: Logger;
  /** Called with the number of bytes sent once the stream ends (for metrics and logs). */
  onEnd?: (bytes: number, error?: Error) => void;
}

export function streamToClient(ctx: Context, upstreamBody: Readable, options: StreamOptions): void {
  const out = options.boundary ? new ClosingDelimiterGuard(options.boundary) : new CountingStream();
  const onDone = (err?: Error | null) => {
    const clientGone = ctx.res.destroyed || ctx.req.destroyed;
    if (err && !clientGone) {
      options.log.warn({ err: err.message, route: ctx.path, bytes: out.bytes }, 'upstream stream failed; resetting client connection');
      ctx.req.socket.destroy();
    }
    options.onEnd?.(out.bytes, err ?? undefined);
  };
  pipeline(upstreamBody, out, onDone);
  ctx.body = out;
}
