/**
 * STOW-RS (PS3.18 §10.5, Store Transaction; Annex I, Store Instances Response
 * Module) conformance cases. Each case stores freshly generated instances
 * (new UIDs, PatientID "STOWCONF-…", outside the QIDO fixtures), so the cases
 * can run against any target any number of times.
 */
import { generateStudy, randomUid, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { check, describe, expectStatus, mediaTypeOf } from '../assert.js';
import type { HttpAnswer } from '../http.js';
import { multipartRelated } from '../stow.js';
import type { CaseContext, ConformanceCase } from '../types.js';

type Item = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function freshInstances(count: number, studyInstanceUid = randomUid()): GeneratedInstance[] {
  return generateStudy({
    patientName: 'STOWCONF^TEST', patientId: `STOWCONF-${studyInstanceUid.slice(-8)}`, birthDate: '19700101', sex: 'O', studyDate: '20240101', studyInstanceUid,
    series: [{ modality: 'CT', instances: count, rows: 16, columns: 16 }],
  });
}

function send(ctx: CaseContext, path: string, contentType: string, body: Buffer, accept = 'application/dicom+json'): Promise<HttpAnswer> {
  return ctx.send(path, { method: 'POST', headers: { 'content-type': contentType, accept }, body });
}

function stow(ctx: CaseContext, parts: Buffer[], path = '/studies'): Promise<HttpAnswer> {
  const { contentType, body } = multipartRelated(parts);
  return send(ctx, path, contentType, body);
}

function moduleOf(res: HttpAnswer): Item {
  check(mediaTypeOf(res) === 'application/dicom+json', `expected an application/dicom+json Store Instances Response Module, got ${describe(res)}`);
  const body = res.json();
  check(typeof body === 'object' && body !== null && !Array.isArray(body), `expected one DICOM JSON object, got ${describe(res)}`);
  return body as Item;
}

const seq = (m: Item, tag: string) => (m[tag]?.Value ?? []) as Item[];
const first = (i: Item, tag: string) => i[tag]?.Value?.[0];

function expectReferenced(m: Item, sop: string): Item {
  const item = seq(m, '00081199').find((i) => first(i, '00081155') === sop);
  check(item, `instance ${sop} is not in ReferencedSOPSequence (0008,1199)`);
  return item;
}

function expectFailed(m: Item, count: number): void {
  const failed = seq(m, '00081198');
  check(failed.length === count, `expected ${count} item(s) in FailedSOPSequence (0008,1198), got ${failed.length}`);
  for (const f of failed) check(typeof first(f, '00081197') === 'number', 'a FailedSOPSequence item has no FailureReason (0008,1197)');
}

async function instanceCount(ctx: CaseContext, study: string): Promise<number> {
  const res = await ctx.get(`/studies/${study}/instances`, { accept: 'application/dicom+json' });
  if (res.status === 204) return 0;
  expectStatus(res, 200);
  return (res.json() as unknown[]).length;
}

export const stowCases: readonly ConformanceCase[] = [
  {
    id: 'STOW-01', section: 'PS3.18 §10.5.3.1 Table 10.5.3-1, Annex I Table I.1-1', title: 'all instances stored: 200 with ReferencedSOPSequence and RetrieveURLs of the target',
    async run(ctx) {
      const [a, b] = freshInstances(2);
      const res = await stow(ctx, [a!.part10, b!.part10]);
      expectStatus(res, 200);
      const m = moduleOf(res);
      for (const i of [a!, b!]) {
        const url = String(first(expectReferenced(m, i.sopInstanceUid), '00081190') ?? '');
        check(url === `${ctx.baseUrl}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`, `RetrieveURL "${url}" is not the instance's URL under ${ctx.baseUrl}`);
      }
      check(first(m, '00081190') === `${ctx.baseUrl}/studies/${a!.studyInstanceUid}`, `top-level RetrieveURL "${String(first(m, '00081190'))}" is not the study's URL`);
    },
  },
  {
    id: 'STOW-02', section: 'PS3.18 §10.5.3.1 Table 10.5.3-1, Annex I', title: 'some stored, some failed: 202 with both sequences; only the valid instance is stored',
    async run(ctx) {
      const [good] = freshInstances(1);
      const truncated = freshInstances(1)[0]!.part10;
      const res = await stow(ctx, [good!.part10, truncated.subarray(0, truncated.length - 100)]);
      expectStatus(res, 202);
      const m = moduleOf(res);
      expectReferenced(m, good!.sopInstanceUid);
      expectFailed(m, 1);
      check((await instanceCount(ctx, good!.studyInstanceUid)) === 1, 'the valid instance is not in the archive');
    },
  },
  {
    id: 'STOW-03', section: 'PS3.18 §10.5.3.1 Table 10.5.3-1', title: 'nothing stored (not DICOM): 409 with FailedSOPSequence',
    async run(ctx) {
      const res = await stow(ctx, [Buffer.from('this is not a DICOM file')]);
      expectStatus(res, 409);
      expectFailed(moduleOf(res), 1);
    },
  },
  {
    id: 'STOW-04', section: 'PS3.18 §10.5.1.1 Table 10.5.1-1', title: 'POST /studies/{study}: an instance of another study is refused (409), not stored',
    async run(ctx) {
      const [other] = freshInstances(1);
      const res = await stow(ctx, [other!.part10], `/studies/${randomUid()}`);
      expectStatus(res, 409);
      expectFailed(moduleOf(res), 1);
      check((await instanceCount(ctx, other!.studyInstanceUid)) === 0, 'the instance of the other study was stored');
    },
  },
  {
    id: 'STOW-05', section: 'PS3.18 §10.5.3.1 Table 10.5.3-1', title: 'an unsupported Content-Type is 415',
    async run(ctx) {
      expectStatus(await send(ctx, '/studies', 'image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xd9])), 415);
    },
  },
  {
    id: 'STOW-06', section: 'PS3.18 §10.5.2, §10.4', title: 'a stored instance is retrievable at its RetrieveURL with its stored bytes (transfer-syntax=*)',
    async run(ctx) {
      const [i] = freshInstances(1);
      const res = await stow(ctx, [i!.part10]);
      expectStatus(res, 200, 202);
      const url = String(first(expectReferenced(moduleOf(res), i!.sopInstanceUid), '00081190'));
      check(url.startsWith(ctx.baseUrl), `RetrieveURL "${url}" is not under the target ${ctx.baseUrl}`);
      const got = await ctx.get(url.slice(ctx.baseUrl.length), { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
      expectStatus(got, 200);
      check(got.body.includes(i!.part10), 'the retrieved multipart body does not contain the stored Part 10 bytes');
    },
  },
  {
    id: 'STOW-07', section: 'PS3.18 §10.5.2, Annex I.2.1', title: 're-sending a stored instance succeeds and leaves one instance',
    async run(ctx) {
      const [i] = freshInstances(1);
      expectStatus(await stow(ctx, [i!.part10]), 200, 202);
      const again = await stow(ctx, [i!.part10]);
      expectStatus(again, 200, 202);
      expectReferenced(moduleOf(again), i!.sopInstanceUid);
      check((await instanceCount(ctx, i!.studyInstanceUid)) === 1, 'the instance is in the archive more than once');
    },
  },
  {
    id: 'STOW-08', section: 'PS3.18 §8.6.1.2, RFC 2387', title: 'unquoted type parameter after the boundary is accepted',
    async run(ctx) {
      const [i] = freshInstances(1);
      const boundary = `stowconf${Date.now()}`;
      const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), i!.part10, Buffer.from(`\r\n--${boundary}--\r\n`)]);
      expectStatus(await send(ctx, '/studies', `multipart/related; boundary=${boundary}; type=application/dicom`, body), 200, 202);
    },
  },
  {
    id: 'STOW-09', section: 'PS3.18 §10.5.1.4, §8.6.1.2, Annex F', title: 'metadata (application/dicom+json) with bulk data parts is stored',
    async run(ctx) {
      const [i] = freshInstances(1);
      const json = {
        '00080016': { vr: 'UI', Value: [i!.sopClassUid] }, '00080018': { vr: 'UI', Value: [i!.sopInstanceUid] },
        '00080060': { vr: 'CS', Value: ['OT'] }, '00100020': { vr: 'LO', Value: ['STOWCONF-JSON'] },
        '0020000D': { vr: 'UI', Value: [i!.studyInstanceUid] }, '0020000E': { vr: 'UI', Value: [i!.seriesInstanceUid] },
        '00280002': { vr: 'US', Value: [1] }, '00280004': { vr: 'CS', Value: ['MONOCHROME2'] }, '00280010': { vr: 'US', Value: [4] }, '00280011': { vr: 'US', Value: [4] },
        '00280100': { vr: 'US', Value: [8] }, '00280101': { vr: 'US', Value: [8] }, '00280102': { vr: 'US', Value: [7] }, '00280103': { vr: 'US', Value: [0] },
        '7FE00010': { vr: 'OB', BulkDataURI: 'pixels' },
      };
      const boundary = `stowconfjson${Date.now()}`;
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom+json\r\n\r\n${JSON.stringify([json])}\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Location: pixels\r\n\r\n`), Buffer.alloc(16, 7),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await send(ctx, '/studies', `multipart/related; type="application/dicom+json"; boundary=${boundary}`, body);
      expectStatus(res, 200, 202);
      expectReferenced(moduleOf(res), i!.sopInstanceUid);
    },
  },
  {
    id: 'STOW-10', section: 'PS3.18 Annex I.2.2 Table I.2-2', title: 'failure reasons are standard codes: an unreadable part gets a Cxxx or A9xx reason',
    async run(ctx) {
      const res = await stow(ctx, [Buffer.alloc(300, 0x41)]);
      expectStatus(res, 409);
      const reason = Number(first(seq(moduleOf(res), '00081198')[0] ?? {}, '00081197'));
      check((reason >= 0xc000 && reason <= 0xcfff) || (reason >= 0xa900 && reason <= 0xa9ff), `FailureReason 0x${reason.toString(16)} is not "cannot understand" (Cxxx) or "does not match SOP class" (A9xx)`);
    },
  },
];
