/**
 * Stores validated instances in the archive with STOW-RS (PS3.18 §10.5),
 * several in one request (one part each, streamed from their spools, never
 * re-read into memory), and reads the archive's per-instance answer (Annex I).
 * An instance counts as stored only when the archive lists it in its Referenced
 * SOP Sequence, or, after an ambiguous failure (time-out, unlisted), when a
 * QIDO finds it there.
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

function sequenceItems(answer: JsonItem | undefined, tag: string): JsonItem[] {
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

/** One validated instance to store: its bytes and what validation read of it. */
export interface StoreItem {
  spool: Spool;
  facts: InstanceFacts;
}

/** The multipart framing around the parts: one header block per part, then the closing delimiter. */
interface Framing {
  heads: Buffer[];
  tail: Buffer;
}

function framingOf(items: readonly StoreItem[], boundary: string): Framing {
  return { heads: items.map((_, i) => partHeader(boundary, { 'Content-Type': 'application/dicom' }, i === 0)), tail: closingDelimiter(boundary) };
}

/**
 * The parts of one request. In-memory parts (at most stow.memoryPartBytes each)
 * go out as the chunks they arrived in, never joined into a copy; spooled files
 * are streamed, never read whole into memory.
 */
function requestBody(items: readonly StoreItem[], { heads, tail }: Framing): Dispatcher.DispatchOptions['body'] {
  const chunkLists = items.map((item) => item.spool.chunkList());
  if (chunkLists.every((c) => c !== undefined)) {
    // The length is declared; undici sends any iterable of buffers (lib/core/request.js), its types list only streams.
    return chunkLists.flatMap((chunks, i) => [heads[i]!, ...chunks!]).concat(tail) as unknown as Readable;
  }
  async function* parts() {
    for (const [i, item] of items.entries()) {
      yield heads[i]!;
      yield* item.spool.stream();
    }
    yield tail;
  }
  return Readable.from(parts(), { objectMode: false });
}

function bodyLength(items: readonly StoreItem[], { heads, tail }: Framing): number {
  return items.reduce((n, item, i) => n + heads[i]!.length + item.spool.size, tail.length);
}

export type StoreResult = { stored: true; warning?: ReasonDetail } | { stored: false; failure: InstanceFailure };

export class UpstreamStore {
  constructor(private readonly upstream: UpstreamClient, private readonly retries: number, private readonly log: Logger) {}

  /** Stores the instances in one archive request; one result per item, in order. Rejects only on abort or a gateway bug. */
  async storeBatch(items: readonly StoreItem[], signal: AbortSignal): Promise<StoreResult[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.interpret(await this.post(items, signal), items, signal);
      } catch (err) {
        if (isAbortError(err) || signal.aborted) throw err;
        // Nothing was answered: the archive is idempotent for the same instances, so sending again is safe.
        if (err instanceof UpstreamUnreachableError && attempt < Math.min(this.retries, RETRY_DELAYS_MS.length)) {
          await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[attempt]));
          continue;
        }
        if (!(err instanceof GatewayError)) throw err; // a bug, not an outage: 0x0110 and logged by the pipeline
        const failure = archiveUnavailable(err, this.upstream.name);
        if (!(err instanceof UpstreamTimeoutError)) return items.map(() => ({ stored: false, failure }));
        // Timed out: some may have been stored before the archive stopped answering.
        return Promise.all(items.map(async (item): Promise<StoreResult> => ((await this.foundInArchive(item.facts, signal)) ? { stored: true } : { stored: false, failure })));
      }
    }
  }

  private async post(items: readonly StoreItem[], signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const boundary = newBoundary();
    const framing = framingOf(items, boundary);
    return this.upstream.request({
      path: '/studies',
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        'content-length': String(bodyLength(items, framing)),
        accept: 'application/dicom+json',
      },
      body: requestBody(items, framing),
      signal,
    });
  }

  private async interpret(res: Dispatcher.ResponseData, items: readonly StoreItem[], signal: AbortSignal): Promise<StoreResult[]> {
    const answer = await readAnswer(res);
    const referenced = new Map(sequenceItems(answer, '00081199').map((i) => [sopOf(i), i]));
    const failed = new Map(sequenceItems(answer, '00081198').map((i) => [sopOf(i), i]));
    return Promise.all(items.map((item) => this.resultOf(item.facts, res.statusCode, referenced.get(item.facts.sopInstanceUid), failed.get(item.facts.sopInstanceUid), signal)));
  }

  /** One instance's result from the archive's answer: listed stored, listed failed, or neither. */
  private async resultOf(facts: InstanceFacts, status: number, referenced: JsonItem | undefined, failed: JsonItem | undefined, signal: AbortSignal): Promise<StoreResult> {
    if (referenced) {
      const code = codeOf(referenced, '00081196');
      return code === undefined ? { stored: true } : { stored: true, warning: { code, comment: `The archive stored the instance with warning 0x${hex4(code)}` } };
    }
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
