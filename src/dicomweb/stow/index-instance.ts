/**
 * Indexes a spooled part with the Part 10 walker (src/dicom/part10). A Deflated
 * Explicit VR Little Endian dataset (PS3.5 §A.5) is inflated into a second spool
 * first, with the same size limit, so that a deflate bomb cannot fill memory.
 */
import { createInflateRaw } from 'node:zlib';
import { indexPart10, Part10Error, type ByteSource, type Part10Index } from '../../dicom/part10/index.js';
import { readMeta } from '../../dicom/part10/index.js';
import { FailureReason } from './reasons.js';
import { InstanceFailure } from './outcome.js';
import { spoolStream, type Spool, type SpoolLimits } from './spool.js';

export interface IndexedInstance {
  index: Part10Index;
  /** The bytes the index refers to (inflated for a deflated dataset); valid until close(). */
  source: ByteSource;
  close(): Promise<void>;
}

/** The bytes of `prefix` followed by those of `rest`, as one source. */
function concatSource(prefix: Buffer, rest: ByteSource): ByteSource {
  const split = prefix.length;
  return {
    size: split + rest.size,
    async read(position, length) {
      if (position >= split) return rest.read(position - split, length);
      const head = prefix.subarray(position, Math.min(split, position + length));
      if (position + length <= split) return head;
      return Buffer.concat([head, await rest.read(0, position + length - split)]);
    },
  };
}

async function inflateDataset(spool: Spool, datasetOffset: number, dir: string, limits: SpoolLimits): Promise<Spool> {
  const inflater = createInflateRaw();
  spool.stream(datasetOffset).on('error', (err) => inflater.destroy(err)).pipe(inflater);
  try {
    return await spoolStream(inflater, dir, limits);
  } catch (err) {
    if (err instanceof InstanceFailure) throw err;
    throw new InstanceFailure(FailureReason.CANNOT_UNDERSTAND, `The deflated dataset cannot be inflated: ${(err as Error).message}`);
  }
}

/** Runs cleanups once, in reverse order of registration. */
function cleanupStack(): { add(fn: () => Promise<void>): void; run(): Promise<void> } {
  const fns: Array<() => Promise<void>> = [];
  let done = false;
  return {
    add: (fn) => void fns.push(fn),
    async run() {
      if (done) return;
      done = true;
      for (const fn of fns.reverse()) await fn().catch(() => undefined);
    },
  };
}

export async function indexSpool(spool: Spool, dir: string, inflateLimits: SpoolLimits): Promise<IndexedInstance> {
  const cleanup = cleanupStack();
  try {
    const opened = await spool.openSource();
    cleanup.add(opened.close);
    const plain = await indexPart10(opened.source).catch((err: unknown) => {
      if (err instanceof Part10Error && err.code === 'DEFLATED') return undefined;
      throw err;
    });
    if (plain) return { index: plain, source: opened.source, close: cleanup.run };
    // Deflated: File Meta stays as is, the dataset after it is inflated.
    const meta = await readMeta(opened.source);
    const prefix = Buffer.from(await opened.source.read(0, meta.end));
    const inflated = await inflateDataset(spool, meta.end, dir, inflateLimits);
    cleanup.add(() => inflated.release());
    const rest = await inflated.openSource();
    cleanup.add(rest.close);
    const source = concatSource(prefix, rest.source);
    return { index: await indexPart10(source, { assumeInflated: true }), source, close: cleanup.run };
  } catch (err) {
    await cleanup.run();
    throw err;
  }
}

/** The first bytes of a part, to recognise what a non-DICOM part is (e.g. gzip). */
export async function spoolHead(spool: Spool, length = 4): Promise<Buffer> {
  const opened = await spool.openSource();
  try {
    return Buffer.from(await opened.source.read(0, length));
  } finally {
    await opened.close();
  }
}
