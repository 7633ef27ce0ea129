/**
 * Case generation for the STOW-RS fuzz test: a seedable PRNG, a corpus of small
 * DICOM files, and mutations of multipart bodies, part headers, DICOM bytes and
 * Content-Types; `send` delivers a case in random chunks, sometimes aborting.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { samplesDir } from '../../scripts/fixtures/load.js';

export const REQUEST_TIMEOUT_MS = 10_000;

/** mulberry32: small, seedable, good enough to reproduce a failing case. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))) };
}
export type Rng = ReturnType<typeof prng>;

export async function corpus(): Promise<Buffer[]> {
  const generated = generateStudy({ patientName: 'Fuzz^Case', patientId: 'FZ', birthDate: '20000101', sex: 'O', studyDate: '20240101', series: [{ modality: 'MR', instances: 3, rows: 16, columns: 16 }] }).map((i) => i.part10);
  const dir = samplesDir();
  const names = ['pydicom_MR_small_RLE.dcm', 'pydicom_image_dfl.dcm', 'pydicom_SR_basic_text.dcm', 'pydicom_SC_rgb_rle_2frame.dcm', 'broken/MR_truncated.dcm', 'broken/no_meta.dcm'];
  const samples = dir ? await Promise.all(names.map((n) => readFile(path.join(dir, n)).catch(() => undefined))) : [];
  return [...generated, ...samples.flatMap((b) => (b ? [b] : []))];
}

function mutateDicom(rng: Rng, data: Buffer): Buffer {
  const copy = Buffer.from(data);
  switch (rng.int(4)) {
    case 0: return copy.subarray(0, rng.int(copy.length));
    case 1: for (let i = 0; i < 1 + rng.int(8); i++) copy[132 + rng.int(Math.min(600, copy.length - 132))] = rng.int(256); return copy;
    case 2: copy.writeUInt32LE(rng.next() < 0.5 ? 0xffffffff : rng.int(2 ** 32), Math.min(copy.length - 4, 132 + rng.int(400))); return copy;
    default: return Buffer.concat([copy.subarray(0, rng.int(copy.length)), rng.bytes(rng.int(64))]);
  }
}

const HEADER_BLOCKS = [
  'Content-Type: application/dicom', 'content-type: application/dicom; transfer-syntax=1.2.840.10008.1.2.1', 'Content-Type: image/jpeg',
  ' folded: before any header', 'no colon here', 'Content-Type:', `X-Long: ${'a'.repeat(90_000)}`, Array.from({ length: 120 }, (_, i) => `X-${i}: v`).join('\r\n'), '',
];

function part(rng: Rng, docs: readonly Buffer[]): { headers: string; body: Buffer } {
  const headers = rng.next() < 0.8 ? 'Content-Type: application/dicom' : rng.pick(HEADER_BLOCKS);
  const roll = rng.next();
  const body = roll < 0.45 ? rng.pick(docs) : roll < 0.8 ? mutateDicom(rng, rng.pick(docs)) : rng.bytes(rng.int(2000));
  return { headers, body };
}

function mutateBody(rng: Rng, body: Buffer, boundary: string): Buffer {
  switch (rng.int(7)) {
    case 0: return body.subarray(0, rng.int(body.length)); // truncated anywhere
    case 1: { const at = rng.int(body.length); return Buffer.concat([body.subarray(0, at), rng.bytes(1 + rng.int(32)), body.subarray(at)]); }
    case 2: { const copy = Buffer.from(body); for (let i = 0; i < 1 + rng.int(16); i++) copy[rng.int(copy.length)] = rng.int(256); return copy; }
    case 3: return Buffer.from(body.toString('latin1').replace(`--${boundary}--`, `--${boundary}`), 'latin1'); // no closing delimiter
    case 4: return Buffer.from(body.toString('latin1').split(`--${boundary}`).join(rng.next() < 0.5 ? `--${boundary}x` : `-${boundary}`), 'latin1');
    case 5: return Buffer.concat([rng.bytes(rng.int(100)), body]); // preamble garbage
    default: return body;
  }
}

function contentType(rng: Rng, boundary: string): string {
  if (rng.next() < 0.05) return rng.pick(['application/dicom', 'text/plain', 'multipart/related', '', 'multipart/related; ;;=;']);
  const typical = rng.next() < 0.7;
  const type = typical ? rng.pick(['type="application/dicom"', 'type=application/dicom']) : rng.pick(['type="application/dicom+json"', 'type="application/dicom+xml"', '', 'type="x']);
  const b = typical || rng.next() < 0.5 ? rng.pick([`boundary=${boundary}`, `boundary="${boundary}"`]) : rng.pick(['boundary=other', '', `boundary=${'z'.repeat(80)}`]);
  const params = rng.next() < 0.5 ? [type, b] : [b, type];
  return ['multipart/related', ...params.filter(Boolean)].join('; ');
}

export interface FuzzCase {
  contentType: string;
  body: Buffer;
  query: string;
}

export function buildCase(rng: Rng, docs: readonly Buffer[]): FuzzCase {
  const boundary = `fz${rng.int(1e9)}`;
  const parts = Array.from({ length: rng.int(4) }, () => part(rng, docs));
  const chunks = parts.flatMap((p, i) => [Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n${p.headers}\r\n\r\n`), p.body]);
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  const body = rng.next() < 0.7 ? mutateBody(rng, Buffer.concat(chunks), boundary) : Buffer.concat(chunks);
  return { contentType: contentType(rng, boundary), body, query: rng.next() < 0.5 ? '?dryrun=true' : '' };
}

/** Sends the body in random chunks; sometimes gives up half-way like a client that disconnects. */
export async function send(rng: Rng, url: string, c: FuzzCase): Promise<number | 'aborted'> {
  const abort = new AbortController();
  const abortEarly = rng.next() < 0.05;
  const cuts = Array.from({ length: rng.int(4) }, () => rng.int(c.body.length)).sort((a, b) => a - b);
  async function* chunks() {
    let from = 0;
    for (const cut of [...cuts, c.body.length]) {
      yield c.body.subarray(from, cut);
      from = cut;
      if (abortEarly) abort.abort();
      if (rng.next() < 0.1) await sleep(1);
    }
  }
  const timer = setTimeout(() => abort.abort(new Error('hang')), REQUEST_TIMEOUT_MS);
  try {
    const res = await request(url + c.query, { method: 'POST', headers: { 'content-type': c.contentType }, body: Readable.from(chunks()), signal: abort.signal });
    await res.body.text();
    return res.statusCode;
  } catch (err) {
    if (abortEarly || (err as { code?: string }).code === 'UND_ERR_SOCKET' || /other side closed|EPIPE|ECONNRESET/.test(String(err))) return 'aborted';
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
