/**
 * Stores one validated instance in the archive with STOW-RS (PS3.18 §10.5),
 * streamed from its spool (never re-read into memory), and reads the archive's
 * per-instance answer (Annex I). An instance counts as stored only when the
 * archive lists it in its Referenced SOP Sequence, or, after an ambiguous
 * failure (time-out, unlisted), when a QIDO finds it there.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { closingDelimiter, newBoundary, partHeader } from '../../http/multipart.js';
import { GatewayError, UpstreamTimeoutError, UpstreamUnreachableError } from '../../http/errors.js';
import type { UpstreamClient } from '../../upstream/client.js';
import { isAbortError } from '../../upstream/errors.js';
import { archiveUnavailable } from './archive-checks.js';
import { InstanceFailure, type ReasonDetail } from './outcome.js';
import { FailureReason, hex4 } from './reasons.js';
import type { Spool } from './spool.js';
import type { InstanceFacts } from './validate.js';

type JsonItem = Record<string, { Value?: unknown[] } | undefined>;

/** Store answers are small; anything larger is not read. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const RETRY_DELAYS_MS = [50, 250, 1000];

const STATUS_REASONS: Record<number, [number, string]> = {
  400: [FailureReason.CANNOT_UNDERSTAND, 'could not read the instance'],
  409: [FailureReason.DATASET_DOES_NOT_MATCH, 'refused the instance as conflicting'],
  413: [FailureReason.OUT_OF_RESOURCES, 'refused the instance as too large'],
  415: [FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED, 'does not accept this encoding'],
  401: [FailureReason.NOT_AUTHORIZED, 'refused the gateway\'s credentials'],
  403: [FailureReason.NOT_AUTHORIZED, 'refused the gateway\'s credentials'],
};

function items(answer: JsonItem | undefined, tag: string): JsonItem[] {
  const value = answer?.[tag]?.Value;
  return Array.isArray(value) ? (value as JsonItem[]) : [];
}

const sopOf = (item: JsonItem) => item['00081155']?.Value?.[0];
const codeOf = (item: JsonItem, tag: string) => {
  const v = item[tag]?.Value?.[0];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
};

async function readAnswer(res: Dispatcher.ResponseData): Promise<JsonItem | undefined> {
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    await res.body.dump();
    return undefined;
  }
  const body = await res.body.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonItem) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An in-memory part (at most stow.memoryPartBytes) goes out as one buffer, in
 * one socket write with undici's headers; a spooled file is streamed, never
 * read whole into memory.
 */
function requestBody(spool: Spool, head: Buffer, tail: Buffer): Dispatcher.DispatchOptions['body'] {
  const inMemory = spool.chunkList();
  // The spool's own chunks written one after the other, never joined into a copy; the length is
  // declared. undici sends any iterable of buffers (lib/core/request.js), its types list only streams.
  if (inMemory) return [head, ...inMemory, tail] as unknown as Readable;
  async function* parts() {
    yield head;
    yield* spool.stream();
    yield tail;
  }
  return Readable.from(parts(), { objectMode: false });
}

export type StoreResult = { stored: true; warning?: ReasonDetail } | { stored: false; failure: InstanceFailure };

export class UpstreamStore {
  constructor(private readonly upstream: UpstreamClient, private readonly retries: number, private readonly log: Logger) {}

  /** Stores the instance; returns the archive's warning, or throws InstanceFailure. */
  async store(spool: Spool, facts: InstanceFacts, signal: AbortSignal): Promise<ReasonDetail | undefined> {
    const result = await this.send(spool, facts, signal);
    if (result.stored) return result.warning;
    throw result.failure;
  }

  private async send(spool: Spool, facts: InstanceFacts, signal: AbortSignal): Promise<StoreResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.interpret(await this.post(spool, signal), facts, signal);
      } catch (err) {
        if (isAbortError(err) || signal.aborted) throw err;
        // Nothing was answered: the archive is idempotent for the same instance, so sending again is safe.
        if (err instanceof UpstreamUnreachableError && attempt < Math.min(this.retries, RETRY_DELAYS_MS.length)) {
          await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
          continue;
        }
        if (!(err instanceof GatewayError)) throw err; // a bug, not an outage: 0x0110 and logged by the pipeline
        if (err instanceof UpstreamTimeoutError && (await this.foundInArchive(facts, signal))) return { stored: true };
        return { stored: false, failure: archiveUnavailable(err, this.upstream.name) };
      }
    }
  }

  private async post(spool: Spool, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const boundary = newBoundary();
    const head = partHeader(boundary, { 'Content-Type': 'application/dicom' }, true);
    const tail = closingDelimiter(boundary);
    return this.upstream.request({
      path: '/studies',
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        'content-length': String(head.length + spool.size + tail.length),
        accept: 'application/dicom+json',
      },
      body: requestBody(spool, head, tail),
      signal,
    });
  }

  private async interpret(res: Dispatcher.ResponseData, facts: InstanceFacts, signal: AbortSignal): Promise<StoreResult> {
    const answer = await readAnswer(res);
    const referenced = items(answer, '00081199').find((i) => sopOf(i) === facts.sopInstanceUid);
    if (referenced) {
      const code = codeOf(referenced, '00081196');
      return code === undefined ? { stored: true } : { stored: true, warning: { code, comment: `The archive stored the instance with warning 0x${hex4(code)}` } };
    }
    const failed = items(answer, '00081198').find((i) => sopOf(i) === facts.sopInstanceUid);
    const status = res.statusCode;
    this.log.warn({ upstream: this.upstream.name, status, sop: facts.sopInstanceUid, listed: failed !== undefined }, 'archive did not confirm a stored instance');
    if (failed) {
      const code = codeOf(failed, '00081197') ?? FailureReason.PROCESSING_FAILURE;
      return { stored: false, failure: new InstanceFailure(code, `The archive refused the instance (HTTP ${status}, reason 0x${hex4(code)})`, code >= 0xa700 && code <= 0xa7ff) };
    }
    if (status >= 200 && status < 300 && (await this.foundInArchive(facts, signal))) return { stored: true };
    return { stored: false, failure: this.statusFailure(status) };
  }

  private statusFailure(status: number): InstanceFailure {
    if (status === 503 || status === 429) {
      return new InstanceFailure(FailureReason.OUT_OF_RESOURCES, `The archive "${this.upstream.name}" is busy (HTTP ${status}); retry later`, true);
    }
    const [code, what] = STATUS_REASONS[status] ?? [FailureReason.PROCESSING_FAILURE, status < 300 ? 'did not confirm storing the instance' : 'failed to store the instance'];
    return new InstanceFailure(code, `The archive ${what} (HTTP ${status})`);
  }

  /** Last resort after an ambiguous answer: is the instance in the archive now? */
  private async foundInArchive(facts: InstanceFacts, signal: AbortSignal): Promise<boolean> {
    try {
      const rows = await this.upstream.getJson('/instances', `SOPInstanceUID=${facts.sopInstanceUid}&includefield=0020000D`, signal);
      return Array.isArray(rows) && rows.some((r: JsonItem) => r['0020000D']?.Value?.[0] === facts.studyUid);
    } catch {
      return false;
    }
  }
}
