/**
 * Reads the parts of a STOW-RS request body (PS3.18 §10.5.1.4) one at a time,
 * spooling each to memory or disk, under the configured limits: request bytes,
 * part bytes and part count (413 naming the limit). Memory stays bounded: the
 * next part is not read until the consumer has taken the previous one.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { GatewayConfig } from '../../config/schema.js';
import { BadRequestError, GatewayError } from '../../http/errors.js';
import { readMultipartInto, type PartHeaders, type PartSink } from '../../http/multipart.js';
import { PayloadTooLargeError, formatBytes } from './errors.js';
import type { StowBody } from './media-type.js';
import { Spool, spoolStream, spoolDirectory, type SpoolLimits } from './spool.js';

export interface SpooledPart {
  /** 1-based position in the request. */
  index: number;
  headers: PartHeaders;
  spool: Spool;
}

/** Called for each part in order; it owns the spool from then on and must release it. */
export type PartConsumer = (part: SpooledPart) => Promise<void>;

export function requestTooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError('stow.maxRequestBytes', max, `The request body is larger than the gateway accepts (${formatBytes(max)}, stow.maxRequestBytes). Send the instances in several requests.`);
}

function partTooLarge(index: number, max: number): PayloadTooLargeError {
  return new PayloadTooLargeError('stow.maxPartBytes', max, `Part ${index} is larger than the gateway accepts for one instance (${formatBytes(max)}, stow.maxPartBytes).`);
}

function tooManyParts(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError('stow.maxParts', max, `The request has more than ${max} parts (stow.maxParts). Send the instances in several requests.`);
}

/** Counts body bytes and fails the stream as soon as the limit is passed. */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(requestTooLarge(this.max));
    else done(null, chunk);
  }
}

/** Malformed-multipart errors become a 400 that says what is wrong. */
function asRequestError(err: unknown): unknown {
  if (err instanceof GatewayError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (/aborted|ECONNRESET|premature close/i.test(message)) return err;
  return new BadRequestError('MULTIPART_MALFORMED', `The multipart/related body could not be read: ${message.slice(0, 200)}.`, { parameter: 'body' });
}

export class PartReader {
  private readonly dir: string;

  constructor(private readonly config: GatewayConfig['stow'], private readonly budget?: { remaining: number }) {
    this.dir = spoolDirectory(config.spoolDir);
  }

  /** Resolves with the number of parts once the body was read; rejects on a malformed body or a limit. */
  async read(req: Readable, body: StowBody, consume: PartConsumer): Promise<number> {
    const limited = new ByteLimit(this.config.maxRequestBytes);
    // Not stream.pipeline: it would destroy the request (and its socket) on a limit,
    // leaving no way to answer 413. A client abort still fails the reader.
    req.once('error', (err) => limited.destroy(err));
    req.once('aborted', () => limited.destroy(new Error('request aborted')));
    limited.once('error', () => req.unpipe(limited));
    req.pipe(limited);
    try {
      if (body.kind === 'single') {
        // spoolStream releases the spool when the body fails; once handed over, consume owns it.
        const spool = await spoolStream(limited, this.dir, this.limits(1));
        await consume({ index: 1, headers: { 'content-type': 'application/dicom' }, spool });
        return 1;
      }
      let count = 0;
      return await readMultipartInto(limited, body.boundary, {
        onPart: (headers) => {
          count++;
          if (count > this.config.maxParts) throw tooManyParts(this.config.maxParts);
          return this.spoolSink(count, headers, consume);
        },
      });
    } catch (err) {
      limited.destroy(err as Error); // read no further (the multipart reader has already stopped it)
      throw asRequestError(err);
    }
  }

  /** Limits of one part's spool. */
  private limits(index: number): SpoolLimits {
    return {
      memoryBytes: this.config.memoryPartBytes,
      maxBytes: this.config.maxPartBytes,
      onTooLarge: () => partTooLarge(index, this.config.maxPartBytes),
      ...(this.budget && { budget: this.budget }),
    };
  }

  /** One multipart part into its spool, handed to `consume` at its end (the reader waits for that: backpressure). */
  private spoolSink(index: number, headers: PartHeaders, consume: PartConsumer): PartSink {
    const spool = new Spool(this.dir, this.limits(index));
    const release = () => void spool.release();
    return {
      write: (chunk) => spool.write(chunk),
      end: async () => {
        try {
          await spool.finish();
        } catch (err) {
          release();
          throw err;
        }
        await consume({ index, headers, spool });
      },
      abort: release,
    };
  }
}
