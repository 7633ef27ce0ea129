/**
 * One request/response on its own socket, for the bulk transport: reads go
 * into 1 MiB slabs (each read fills the slab's free end, so the body chunks
 * handed on are views, never copies), the head is parsed, and the body is
 * framed by length, chunks or the connection's close (RFC 9112 §6.3).
 * Backpressure: the body is a Readable; while its buffer is full, the socket
 * stops reading. A consumer that destroys the body closes the socket, which
 * is how a client that goes away aborts the archive's answer.
 */
import type net from 'node:net';
import { Readable } from 'node:stream';
import type { StreamedResponse } from '../stream-transport.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { MalformedResponseError, parseResponseHead, type BodyFraming } from './response-head.js';
import { SlabCursor, type SlabPool } from '../../http/slab-pool.js';
import { abortReason, codedError } from '../errors.js';

/** Where a read would land once the exchange is over (none should: the socket is closed by then). */
const SCRATCH_BYTES = 64 * 1024;

export interface ExchangeOptions {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Where the read slabs come from; body chunks are held in it until the consumer releases them. */
  slabs: SlabPool;
}

export class BulkExchange {
  private socket: net.Socket | undefined;
  /** Where the reads go; closed once the exchange is over. */
  private readonly reads: SlabCursor;
  private scratch: Buffer | undefined;
  private pending: Buffer | undefined;
  private framing: BodyFraming | undefined;
  private left = 0;
  private decoder: ChunkedDecoder | undefined;
  private body: Readable | undefined;
  /** The parsed head with its body, until announce() hands it on. */
  private answer: StreamedResponse | undefined;
  private paused = false;
  private settled = false;
  /** The whole body arrived (or the exchange failed): nothing more is handed on. */
  private over = false;
  private resolve!: (res: StreamedResponse) => void;
  private reject!: (err: Error) => void;
  private readonly headersTimer: NodeJS.Timeout;
  private readonly onAbort = () => this.fail(abortReason(this.options.signal!));

  constructor(private readonly options: ExchangeOptions) {
    this.reads = new SlabCursor(options.slabs);
    this.headersTimer = setTimeout(() => this.fail(codedError('UND_ERR_HEADERS_TIMEOUT', 'upstream headers timeout')), options.headersTimeoutMs);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The socket's `onread`: where each read lands, and what is done with it. */
  readonly onread = {
    buffer: (): Buffer => {
      if (this.reads.closed) return (this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
      return this.reads.space();
    },
    callback: (bytes: number, buf: Buffer): boolean => {
      this.reads.advance(bytes);
      const chunk = buf.subarray(0, bytes);
      try {
        return this.framing ? this.onBody(chunk) : this.onHeadBytes(chunk);
      } catch (err) {
        this.fail(err as Error);
        return false;
      }
    },
  };

  attach(socket: net.Socket): Promise<StreamedResponse> {
    this.socket = socket;
    socket.on('error', (err) => this.fail(err));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.fail(codedError('UND_ERR_SOCKET', 'connection closed by the archive')));
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  private onHeadBytes(chunk: Buffer): boolean {
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let parsed = parseResponseHead(bytes);
    // Interim 1xx answers precede the final one (RFC 9110 §15.2); 101 was never asked for.
    while (parsed && parsed.head.status < 200 && parsed.head.status !== 101) {
      bytes = parsed.rest;
      parsed = parseResponseHead(bytes);
    }
    if (!parsed) {
      // A copy: the slab under these bytes may be reused before the rest of the head arrives.
      this.pending = Buffer.from(bytes);
      return true;
    }
    if (parsed.head.status === 101) throw new MalformedResponseError('unrequested protocol switch');
    clearTimeout(this.headersTimer);
    this.pending = undefined;
    const { head, rest } = parsed;
    this.framing = head.framing;
    if (head.framing.kind === 'length') this.left = head.framing.length;
    if (head.framing.kind === 'chunked') this.decoder = new ChunkedDecoder();
    this.body = this.newBody();
    this.socket!.setTimeout(this.options.bodyTimeoutMs, () => this.fail(codedError('UND_ERR_BODY_TIMEOUT', 'upstream body timeout')));
    const slabs = this.options.slabs;
    this.answer = { statusCode: head.status, headers: head.headers, body: this.body, release: (chunk) => slabs.release(chunk) };
    if (this.framing.kind === 'length' && this.left === 0) this.finish();
    return rest.length > 0 ? this.onBody(rest) : true;
  }

  /**
   * The response is handed on with its first body bytes (or its end), not with
   * its head: an archive that fails in between (a reset, a body time-out) then
   * fails the request itself, and the client gets a 502/504 instead of a 200
   * cut short before its first byte.
   */
  private announce(): void {
    if (this.settled || !this.answer) return;
    this.settled = true;
    this.resolve(this.answer);
  }

  private newBody(): Readable {
    const body = new Readable({
      highWaterMark: this.options.slabs.slabBytes,
      read: () => {
        if (!this.paused) return;
        this.paused = false;
        this.socket?.resume();
      },
      destroy: (err, done) => {
        this.cleanup();
        this.socket?.destroy();
        done(err);
      },
    });
    // The consumer attaches its listeners once the response promise settles, a
    // microtask later; an error in the read that carried the head (a broken
    // chunk) is emitted before that. Without a listener it would be uncaught.
    // The consumer still sees it: the body stays errored (pipeline, for await).
    body.on('error', () => undefined);
    return body;
  }

  /** Hands body bytes on, framed; false pauses the socket until the body is read. */
  private onBody(chunk: Buffer): boolean {
    const body = this.body!;
    if (this.over || body.destroyed) return false;
    let more = true;
    if (this.framing!.kind === 'close') {
      more = this.push(body, chunk);
    } else if (this.framing!.kind === 'length') {
      const take = chunk.subarray(0, this.left);
      this.left -= take.length;
      if (take.length > 0) more = this.push(body, take);
      if (this.left === 0) this.finish();
    } else {
      for (const data of this.decoder!.write(chunk)) more = this.push(body, data) && more;
      if (this.decoder!.done) this.finish();
    }
    this.paused = !more;
    return more;
  }

  /** Every chunk handed on is held, so that its slab is reused only once the consumer released it. */
  private push(body: Readable, chunk: Buffer): boolean {
    this.options.slabs.hold(chunk);
    const more = body.push(chunk);
    this.announce();
    return more;
  }

  private onEnd(): void {
    if (this.framing?.kind === 'close') this.finish();
    else this.fail(codedError('UND_ERR_SOCKET', this.framing ? 'the archive closed the connection in the middle of the body' : 'the archive closed the connection before answering'));
  }

  /** The whole body arrived. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.body!.push(null);
    this.announce();
    this.cleanup();
    this.socket?.destroy();
  }

  /** Ends the exchange with an error: the pending promise rejects, or the body is destroyed with it. */
  private fail(err: Error): void {
    if (this.over) return;
    this.over = true;
    this.cleanup();
    if (this.settled) {
      if (!this.body!.destroyed) this.body!.destroy(err);
      return;
    }
    this.settled = true;
    this.body?.destroy(err); // parsed but never handed on
    this.socket?.destroy();
    this.reject(err);
  }

  /** Idempotent: the slab goes back to the pool once, timers and the abort listener go. */
  private cleanup(): void {
    this.reads.close();
    clearTimeout(this.headersTimer);
    this.socket?.setTimeout(0);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }
}
