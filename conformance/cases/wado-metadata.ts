/**
 * WADO-RS Metadata resources (PS3.18 §10.4.1.1.2 Table 10.4.1-2, DICOM JSON
 * of Annex F), their Bulkdata URIs (§10.4.1.1.1 Bulkdata resource, §8.7.3.3),
 * HTTP revalidation (RFC 9110) and byte ranges on single-part bulk data.
 */
import { check, datasets, expectEqual, expectStatus, skip } from '../assert.js';
import { TAG, column, type DicomDataset } from '../dicom-json.js';
import { instanceUidsOf } from '../fixtures.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { CT_SERIES_1, CT_STUDY } from './common.js';
import { ACCEPT_OCTETS_AS_STORED, FRAME_BYTES, fixtureFrame, getParts, instancePath, multipartParts } from './wado-common.js';

const SERIES_METADATA = `/studies/${CT_STUDY.uid}/series/${CT_SERIES_1.uid}/metadata`;
const FIRST_INSTANCE = instanceUidsOf(CT_SERIES_1.uid)[0]!;
const PIXEL_DATA = '7FE00010';
const JSON_ACCEPT = { accept: 'application/dicom+json' } as const;

/** Every BulkDataURI in a dataset, nested sequences included. */
function bulkDataUris(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => bulkDataUris(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'BulkDataURI' && typeof v === 'string') out.push(v);
      else bulkDataUris(v, out);
    }
  }
  return out;
}

/** The Pixel Data BulkDataURI of the first CT instance, as a path under the base URL. */
async function pixelDataPath(ctx: CaseContext): Promise<string> {
  const [d] = datasets(await ctx.get(`${instancePath(CT_STUDY.uid, CT_SERIES_1.uid, FIRST_INSTANCE)}/metadata`, JSON_ACCEPT));
  const uri = (d?.[PIXEL_DATA] as { BulkDataURI?: unknown } | undefined)?.BulkDataURI;
  check(typeof uri === 'string', 'instance metadata has no BulkDataURI for Pixel Data (7FE00010)');
  check(uri.startsWith(`${ctx.baseUrl}/`), `Pixel Data BulkDataURI "${uri}" is not under ${ctx.baseUrl}`);
  return uri.slice(ctx.baseUrl.length);
}

export const metadataCases: ConformanceCase[] = [
  {
    id: 'WADO-16',
    section: 'PS3.18 §10.4.1.1.2 Table 10.4.1-2, Annex F',
    title: 'series metadata: DICOM JSON array, BulkDataURIs under the queried base URL',
    async run(ctx) {
      const list: DicomDataset[] = datasets(await ctx.get(SERIES_METADATA, JSON_ACCEPT));
      const sops = column(list, TAG.SOPInstanceUID).sort();
      expectEqual(sops.join(','), [...instanceUidsOf(CT_SERIES_1.uid)].sort().join(','), 'SOP Instance UIDs');
      const uris = bulkDataUris(list);
      check(uris.length > 0, 'no BulkDataURI in the metadata (Pixel Data is expected to be one)');
      const foreign = uris.filter((u) => !u.startsWith(`${ctx.baseUrl}/`));
      check(foreign.length === 0, `BulkDataURI not under ${ctx.baseUrl}: ${foreign[0] ?? ''}`);
    },
  },
  {
    id: 'WADO-17',
    section: 'RFC 9110 §8.8.3, §13.1.2, §15.4.5 (on PS3.18 §10.4.1.1.2)',
    title: 'series metadata: If-None-Match with its ETag answers 304',
    async run(ctx) {
      const first = await ctx.get(SERIES_METADATA, JSON_ACCEPT);
      expectStatus(first, 200);
      const etag = first.headers['etag'];
      if (!etag) skip('no ETag on the metadata answer');
      const again = await ctx.get(SERIES_METADATA, { ...JSON_ACCEPT, 'if-none-match': etag });
      expectStatus(again, 304);
      check(again.body.length === 0, '304 answer has a body');
    },
  },
  {
    id: 'WADO-18',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1 (Bulkdata), §8.7.3.3',
    title: 'Pixel Data BulkDataURI: one application/octet-stream part, the pixels',
    async run(ctx) {
      const parts = await getParts(ctx, await pixelDataPath(ctx), ACCEPT_OCTETS_AS_STORED, 'application/octet-stream');
      expectEqual(parts.length, 1, 'number of parts');
      check(parts[0]!.body.equals(fixtureFrame(FIRST_INSTANCE, 1, 1)), `the part (${parts[0]!.body.length} bytes) is not the stored Pixel Data (${FRAME_BYTES} bytes)`);
    },
  },
  {
    id: 'WADO-19',
    section: 'PS3.18 §8.6.1.1 (single part payload, Range), RFC 9110 §14.2, §15.3.7',
    title: 'Pixel Data as single-part application/octet-stream with Range: bytes=0-99 answers 206',
    async run(ctx) {
      const path = await pixelDataPath(ctx);
      const res = await ctx.get(path, { accept: 'application/octet-stream', range: 'bytes=0-99' });
      expectStatus(res, 206);
      expectEqual(res.headers['content-range'], `bytes 0-99/${FRAME_BYTES}`, 'Content-Range');
      check(res.body.equals(fixtureFrame(FIRST_INSTANCE, 1, 1).subarray(0, 100)), 'the 100 bytes are not the start of the Pixel Data');
    },
  },
  {
    id: 'WADO-20',
    section: 'PS3.18 §8.6.1.1, RFC 9110 §14.1.2, §15.5.17',
    title: 'Range past the end of the Pixel Data answers 416 with Content-Range bytes */length',
    async run(ctx) {
      const res = await ctx.get(await pixelDataPath(ctx), { accept: 'application/octet-stream', range: `bytes=${FRAME_BYTES}-` });
      expectStatus(res, 416);
      expectEqual(res.headers['content-range'], `bytes */${FRAME_BYTES}`, 'Content-Range');
    },
  },
  {
    id: 'WADO-23',
    section: 'PS3.18 §10.4.1.1.2, §8.7.3.2 Table 8.7.3-2; PS3.19 A.1',
    title: 'series metadata as multipart/related dicom+xml: one Native DICOM Model part per instance, or 406',
    async run(ctx) {
      const res = await ctx.get(SERIES_METADATA, { accept: 'multipart/related; type="application/dicom+xml"' });
      if (res.status === 406) return;
      expectStatus(res, 200);
      const parts = multipartParts(res, 'application/dicom+xml');
      expectEqual(parts.length, instanceUidsOf(CT_SERIES_1.uid).length, 'number of parts');
      for (const part of parts) {
        const xml = part.body.toString('utf8');
        check(/^(<\?xml[^>]*\?>\s*)?<NativeDicomModel[\s>]/.test(xml), 'a part is not a NativeDicomModel document');
        check(instanceUidsOf(CT_SERIES_1.uid).some((uid) => xml.includes(`<Value number="1">${uid}</Value>`)), 'a part names none of the series\' SOP Instance UIDs');
        const uri = /<BulkData[^>]*uri="([^"]+)"/.exec(xml)?.[1];
        check(uri === undefined || uri.startsWith(`${ctx.baseUrl}/`), `BulkData uri "${uri ?? ''}" is not under ${ctx.baseUrl}`);
      }
    },
  },
];
