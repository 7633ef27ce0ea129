/**
 * Small helpers shared by the STOW-RS tests (integration, faults, fuzz):
 * sending a store request, reading the Store Instances Response Module, and
 * rewriting attributes of a Part 10 file with dcmjs.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { multipartRelated } from '../../conformance/stow.js';
import { dcmjs } from '../../scripts/fixtures/dcmjs.js';
import { randomUid } from '../../scripts/fixtures/uid.js';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';

export type JsonItem = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export interface StowAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): JsonItem;
}

export interface StowOptions {
  accept?: string;
  headers?: Record<string, string>;
  query?: string;
  path?: string;
}

export async function postStow(base: string, body: { contentType: string; body: Buffer }, opts: StowOptions = {}): Promise<StowAnswer> {
  const url = `${base}${opts.path ?? '/studies'}${opts.query ? `?${opts.query}` : ''}`;
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': body.contentType, accept: opts.accept ?? 'application/dicom+json', ...opts.headers },
    body: body.body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as JsonItem };
}

/** POSTs Part 10 files as one multipart/related; type="application/dicom" request. */
export function stowFiles(base: string, files: readonly Buffer[], opts: StowOptions = {}): Promise<StowAnswer> {
  return postStow(base, multipartRelated(files), opts);
}

export function items(json: JsonItem, tag: '00081198' | '00081199' | '0008119A'): JsonItem[] {
  return (json[tag]?.Value ?? []) as JsonItem[];
}

export const valueOf = (item: JsonItem, tag: string): unknown => item[tag]?.Value?.[0];
export const sopOf = (item: JsonItem) => valueOf(item, '00081155') as string | undefined;
export const failureOf = (item: JsonItem) => valueOf(item, '00081197') as number | undefined;
export const warningOf = (item: JsonItem) => valueOf(item, '00081196') as number | undefined;
export const commentOf = (item: JsonItem) => String(valueOf(item, '00000902') ?? '');

/** A copy of a Part 10 file with some dataset attributes replaced (DICOM JSON form, e.g. {'0020000D': {vr: 'UI', Value: ['1.2.3']}}). */
export function rewrite(part10: Buffer, changes: Record<string, { vr: string; Value: unknown[] } | null>): Buffer {
  const ab = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.length) as ArrayBuffer;
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(ab);
  for (const [tag, value] of Object.entries(changes)) {
    if (value === null) delete dict[tag];
    else dict[tag] = value;
  }
  const sop = changes['00080018']?.Value?.[0];
  if (typeof sop === 'string') meta['00020003'] = { vr: 'UI', Value: [sop] };
  const out = new dcmjs.data.DicomDict(meta);
  out.dict = dict;
  return Buffer.from(out.write());
}

/** The stored bytes of an instance, straight from the archive's WADO-RS with transfer-syntax=*. */
export async function retrieveStored(dicomWebUrl: string, study: string, series: string, sop: string): Promise<Buffer | undefined> {
  const res = await request(`${dicomWebUrl}/studies/${study}/series/${series}/instances/${sop}`, {
    headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    return undefined;
  }
  const boundary = boundaryOf(String(res.headers['content-type']));
  const parts: Buffer[] = [];
  await readMultipart(Readable.from(res.body), boundary ?? '', {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      parts.push(Buffer.concat(chunks));
    },
  });
  return parts[0];
}

/** SOP Instance UIDs the archive holds for a study (QIDO). */
export async function archivedInstances(dicomWebUrl: string, study: string): Promise<string[]> {
  const res = await request(`${dicomWebUrl}/studies/${study}/instances`, { headers: { accept: 'application/dicom+json' } });
  const rows = JSON.parse((await res.body.text()) || '[]') as JsonItem[];
  return rows.map((r) => String(valueOf(r, '00080018'))).sort();
}

/** A copy of a sample with new Study, Series and SOP Instance UIDs, so tests sharing an archive do not collide. */
export function freshCopy(part10: Buffer, uids: { study?: string; series?: string; sop?: string } = {}): Buffer {
  return rewrite(part10, {
    '0020000D': { vr: 'UI', Value: [uids.study ?? randomUid()] },
    '0020000E': { vr: 'UI', Value: [uids.series ?? randomUid()] },
    '00080018': { vr: 'UI', Value: [uids.sop ?? randomUid()] },
  });
}
