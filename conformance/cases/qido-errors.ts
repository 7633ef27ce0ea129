/**
 * Requests a QIDO-RS origin server must refuse (PS3.18 §10.6.3.1: 400 for
 * invalid query syntax), content negotiation (§8.7.8.1: 406), and HTTP
 * revalidation (RFC 9110, not PS3.18).
 */
import { check, describe, expectEqual, expectStatus, mediaTypeOf, skip } from '../assert.js';
import type { HttpAnswer } from '../http.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { ALPHA, DICOM_JSON } from './common.js';

async function expectBadRequest(ctx: CaseContext, pathAndQuery: string): Promise<void> {
  expectStatus(await ctx.get(pathAndQuery, DICOM_JSON), 400);
}

/** `multipart/related; type="application/dicom+xml"` (quotes optional), case-insensitive. */
function isXmlMultipart(res: HttpAnswer): boolean {
  const header = (res.headers['content-type'] ?? '').toLowerCase();
  return mediaTypeOf(res) === 'multipart/related' && /type\s*=\s*"?application\/dicom\+xml"?/.test(header);
}

export const errorCases: ConformanceCase[] = [
  {
    id: 'QIDO-21',
    section: 'PS3.18 §8.3.4.1, §10.6.3.1',
    title: 'unknown attribute key answers 400',
    run: (ctx) => expectBadRequest(ctx, `/studies?PatientID=${ALPHA.id}&NoSuchAttribute=1`),
  },
  {
    id: 'QIDO-22',
    section: 'PS3.18 §8.3.4.1, §10.6.3.1; PS3.5 §6.2 (DA)',
    title: 'malformed date (StudyDate=March2019) answers 400',
    run: (ctx) => expectBadRequest(ctx, `/studies?PatientID=${ALPHA.id}&StudyDate=March2019`),
  },
  {
    id: 'QIDO-23',
    section: 'PS3.18 §10.6.1, §10.6.3.1; PS3.5 §9.1 (UID)',
    title: 'malformed UID in the path answers 400',
    run: (ctx) => expectBadRequest(ctx, '/studies/1.2.abc/series'),
  },
  {
    id: 'QIDO-24',
    section: 'PS3.18 §8.3.4.4, §10.6.3.1',
    title: 'non-numeric limit answers 400',
    run: (ctx) => expectBadRequest(ctx, `/studies?PatientID=${ALPHA.id}&limit=ten`),
  },
  {
    id: 'QIDO-32',
    section: 'PS3.18 §8.7.8.1',
    title: 'Accept: text/html only answers 406',
    async run(ctx) {
      expectStatus(await ctx.get(`/studies?PatientID=${ALPHA.id}`, { accept: 'text/html' }), 406);
    },
  },
  {
    id: 'QIDO-33',
    section: 'PS3.18 §8.7.8.1, §10.6.3.3',
    title: 'Accept multipart/related dicom+xml: XML served, or 406',
    async run(ctx) {
      const res = await ctx.get(`/studies?PatientID=${ALPHA.id}`, { accept: 'multipart/related; type="application/dicom+xml"' });
      if (res.status === 406) return;
      check(res.status === 200 && isXmlMultipart(res), `expected 406 or an XML multipart answer, got ${describe(res)}`);
    },
  },
  {
    id: 'QIDO-34',
    section: 'RFC 9110 §8.8.3, §13.1.2, §15.4.5 (HTTP, not PS3.18)',
    title: 'If-None-Match with the ETag answers 304 (skip if no ETag)',
    async run(ctx) {
      const first = await ctx.get(`/studies?PatientID=${ALPHA.id}`, DICOM_JSON);
      expectStatus(first, 200);
      const etag = first.headers['etag'];
      if (!etag) skip('the answer carries no ETag');
      const again = await ctx.get(`/studies?PatientID=${ALPHA.id}`, { ...DICOM_JSON, 'if-none-match': etag });
      expectStatus(again, 304);
      expectEqual(again.body.length, 0, '304 body length');
    },
  },
  {
    id: 'QIDO-38',
    section: 'PS3.18 §8.3.4.1, §10.6.3.1; PS3.5 §6.2 (DA)',
    title: 'calendar-invalid date StudyDate=20191345 answers 400',
    run: (ctx) => expectBadRequest(ctx, `/studies?PatientID=${ALPHA.id}&StudyDate=20191345`),
  },
];
