/**
 * One series downloaded from the archive in one request: the WADO-RS Series
 * resource (PS3.18 §10.4.1.1.1) as stored (transfer-syntax=*, §8.7.3.5.2), a
 * multipart/related answer (§8.6.1.2) split part by part into temp files of
 * the edge (part-file.ts), each hashed (SHA-256) on the way; its File Meta
 * (PS3.10 §7.1) then says which SOP Instance it is. The caller decides what to keep
 * of each part. Orthanc sends such answers close-delimited (no length, the
 * connection closes): upstream.stream() (the bulk transport) reads them.
 */
import { PassThrough, type Readable } from 'node:stream';
import { NotFoundError, UpstreamFailureError } from '../http/errors.js';
import { boundaryOf, readMultipart, type MultipartPart } from '../http/multipart.js';
import type { Logger } from 'pino';
import { upstreamBodyError } from '../upstream/body-errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { describeDownload, type DownloadedInstance } from './download.js';
import { EdgeBadInstanceError } from './errors.js';
import type { EdgeFiles } from './files.js';
import { flushPart, receivePart, type ReceivedPart } from './part-file.js';

const STORED_AS_IS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

export interface SeriesRequest {
  study: string;
  series: string;
  signal: AbortSignal;
  /** Largest part kept (edge.maxBytes); a larger one ends the download. */
  maxBytes: number;
  /** Called for each part written to a temp file, one after the other; it places or removes `part.temp`. */
  onPart(part: DownloadedInstance): Promise<void>;
}

export interface SeriesDownloadDeps {
  upstream: UpstreamClient;
  files: EdgeFiles;
  log: Logger;
}

/** Parts written and waiting for their File Meta read and admission while the next ones are read. */
const PARTS_AHEAD = 4;

/** Reads the part's File Meta and hands it on; a part that is not a Part 10 file is dropped (the others are still good). */
async function admitPart(deps: SeriesDownloadDeps, part: ReceivedPart, onPart: SeriesRequest['onPart']): Promise<void> {
  const { temp, size, sha256 } = part;
  let described;
  try {
    await flushPart(part);
    described = await describeDownload(deps.upstream.name, temp, part.head, size);
  } catch (err) {
    await deps.files.remove(temp);
    if (!(err instanceof EdgeBadInstanceError)) throw err;
    deps.log.warn({ err }, 'edge: a part of a series answer is not a DICOM Part 10 file; skipped');
    return;
  }
  await onPart({ temp, size, sha256, ...described });
}

/** How long a part may take to finish once the answer failed (its bytes are in memory by then). */
const SETTLE_MS = 1000;

/**
 * Feeds `source` to the multipart reader so that a source failure (reset,
 * abort) reads as an early end: parts received in full still end normally and
 * are kept; only the part cut off fails. `failure()` is the source's error.
 */
function endOnError(source: Readable): { input: PassThrough; failure(): unknown } {
  const input = new PassThrough({ highWaterMark: 256 * 1024 });
  let failure: unknown;
  source.once('error', (err) => {
    failure = err;
    input.end();
  });
  source.pipe(input);
  return { input, failure: () => failure };
}

/**
 * Splits the parts in order; while one is read, up to PARTS_AHEAD written
 * before it are admitted. When the answer ends early, the parts received in
 * full are still written and admitted, except the last one handed on: it may
 * be the part cut off (the reader reports that part's early end before it is
 * handed on, so its own stream cannot be trusted to say so). Then the first
 * failure is thrown.
 */
class PartSplitter {
  private last: Promise<void> = Promise.resolve();
  private readonly waiting: Array<Promise<void>> = [];
  private readonly heldBack: Array<{ index: number; written: ReceivedPart }> = [];
  private handling: Promise<void> = Promise.resolve();
  private started = 0;
  /** Our own failure (a write or an admission): later parts are drained, not written. */
  private failed = false;
  private readerFailed = false;
  private reading?: MultipartPart;

  constructor(private readonly deps: SeriesDownloadDeps, private readonly req: SeriesRequest) {}

  async split(body: Readable, boundary: string): Promise<void> {
    const { input, failure } = endOnError(body);
    try {
      await readMultipart(input, boundary, { onPart: (part) => this.onPart(part) });
    } catch (err) {
      this.readerFailed = true;
      await this.settle();
      for (const { index, written } of this.heldBack) {
        if (this.failed || index === this.started) await this.deps.files.remove(written.temp);
        else this.admit(written);
      }
      await this.last.catch(() => undefined);
      throw failure() ?? err;
    }
    await this.last;
  }

  private onPart(part: MultipartPart): Promise<void> {
    const index = ++this.started;
    this.handling = this.failed ? Promise.resolve(void part.body.resume()) : this.handle(part, index);
    return this.handling;
  }

  private async handle(part: MultipartPart, index: number): Promise<void> {
    this.reading = part;
    let written: ReceivedPart;
    try {
      written = await receivePart(this.deps.files, part.body, this.req.maxBytes);
    } catch (err) {
      this.failed = true;
      throw err;
    } finally {
      this.reading = undefined;
    }
    if (this.readerFailed) return void this.heldBack.push({ index, written });
    this.admit(written);
    if (this.waiting.length > PARTS_AHEAD) await this.waiting.shift();
  }

  /** Admits after the parts before it; a failure marks the splitter failed and removes the temp files of the parts after it. */
  private admit(written: ReceivedPart): void {
    const admitted = this.last.then(() => admitPart(this.deps, written, this.req.onPart), async (err: unknown) => {
      await this.deps.files.remove(written.temp);
      throw err;
    });
    admitted.catch(() => {
      this.failed = true; // awaited by a later part or by split(); never unhandled
    });
    this.last = admitted;
    this.waiting.push(admitted);
  }

  /** Waits until the reader hands on no more parts (it does so in microtasks once a handler settles), at most SETTLE_MS. */
  private async settle(): Promise<void> {
    const deadline = Date.now() + SETTLE_MS;
    for (let seen = -1; seen !== this.started && Date.now() < deadline;) {
      seen = this.started;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.handling.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, deadline - Date.now())))]);
      clearTimeout(timer);
      await new Promise((r) => setImmediate(r));
    }
    // A part whose bytes will never come (the reader stopped reading): end its write, its temp file goes.
    this.reading?.body.destroy(new Error('the series answer ended inside this part'));
    await this.handling.catch(() => undefined);
  }
}

/** Resolves once the answer was read to its closing delimiter; rejects with a typed error when it fails or breaks off. */
export async function downloadSeries(deps: SeriesDownloadDeps, req: SeriesRequest): Promise<void> {
  const { upstream } = deps;
  const res = await upstream.stream({ path: `/studies/${req.study}/series/${req.series}`, headers: { accept: STORED_AS_IS }, signal: req.signal });
  if (res.statusCode === 404) {
    res.body.resume();
    throw new NotFoundError('The image archive has no such series in this study.', 'SERIES_NOT_FOUND');
  }
  if (res.statusCode >= 400) throw await upstream.streamFailure(res);
  const contentType = String(res.headers['content-type'] ?? '');
  const boundary = boundaryOf(contentType);
  if (!boundary) {
    res.body.resume();
    throw new UpstreamFailureError(upstream.name, `answered a series retrieve with "${contentType.slice(0, 80)}" instead of a multipart body.`, 502, 'UPSTREAM_BAD_RESPONSE');
  }
  try {
    await new PartSplitter(deps, req).split(res.body, boundary);
  } catch (err) {
    res.body.destroy();
    throw upstreamBodyError(err, upstream.name, (e) => (e as { code?: string }).code?.startsWith('EDGE_') === true);
  }
}
