/**
 * WADO-RS retrieval of DICOM resources (PS3.18 §10.4.1.1.1 Table 10.4.1-1):
 * study, series and instance as multipart/related application/dicom, the
 * transfer-syntax media type parameter (§8.7.3.5.2), and the status codes of
 * Table 10.4.3-1.
 */
import { check, expectEqual, expectStatus } from '../assert.js';
import { UNKNOWN_STUDY_UID, instanceUidsOf, studyInstanceUids } from '../fixtures.js';
import { isPart10, transferSyntaxOf } from '../part10.js';
import type { ConformanceCase } from '../types.js';
import { CT_SERIES_1, CT_SERIES_2, CT_STUDY } from './common.js';
import { ACCEPT_DICOM_AS_STORED, EXPLICIT_VR_LE, expectPartTypes, getParts, instancePath, multipartParts, storedBytes } from './wado-common.js';

const FIRST_INSTANCE = instanceUidsOf(CT_SERIES_1.uid)[0]!;
const FIRST_INSTANCE_PATH = instancePath(CT_STUDY.uid, CT_SERIES_1.uid, FIRST_INSTANCE);

export const retrieveCases: ConformanceCase[] = [
  {
    id: 'WADO-01',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1, §8.7.3.5.2',
    title: 'study, transfer-syntax=*: one application/dicom part per instance',
    async run(ctx) {
      const parts = await getParts(ctx, `/studies/${CT_STUDY.uid}`, ACCEPT_DICOM_AS_STORED, 'application/dicom');
      expectEqual(parts.length, studyInstanceUids(CT_STUDY.uid).length, 'number of parts');
      expectPartTypes(parts, 'application/dicom');
      parts.forEach((p, i) => check(isPart10(p.body), `part ${i + 1} is not a Part 10 file (no DICM prefix)`));
    },
  },
  {
    id: 'WADO-02',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1, §8.7.3.5.2',
    title: 'series, transfer-syntax=*: the stored bytes of each instance',
    async run(ctx) {
      const parts = await getParts(ctx, `/studies/${CT_STUDY.uid}/series/${CT_SERIES_1.uid}`, ACCEPT_DICOM_AS_STORED, 'application/dicom');
      const expected = instanceUidsOf(CT_SERIES_1.uid).map(storedBytes);
      expectEqual(parts.length, expected.length, 'number of parts');
      for (const [i, bytes] of expected.entries()) check(parts.some((p) => p.body.equals(bytes)), `instance ${i + 1} of the series is not among the parts byte for byte`);
    },
  },
  {
    id: 'WADO-03',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1, §8.7.3.5.2',
    title: 'instance, transfer-syntax=*: one part, the stored bytes',
    async run(ctx) {
      const parts = await getParts(ctx, FIRST_INSTANCE_PATH, ACCEPT_DICOM_AS_STORED, 'application/dicom');
      expectEqual(parts.length, 1, 'number of parts');
      check(parts[0]!.body.equals(storedBytes(FIRST_INSTANCE)), `the part (${parts[0]!.body.length} bytes) differs from the stored instance (${storedBytes(FIRST_INSTANCE).length} bytes)`);
    },
  },
  {
    id: 'WADO-04',
    section: 'PS3.18 §10.4.4 Table 10.4.4-1, §8.7.3.5.2',
    title: 'no Accept: multipart/related application/dicom in Explicit VR Little Endian',
    async run(ctx) {
      const parts = multipartParts(await ctx.get(FIRST_INSTANCE_PATH), 'application/dicom');
      expectEqual(parts.length, 1, 'number of parts');
      const partTs = transferSyntaxOf(parts[0]!.body);
      expectEqual(partTs, EXPLICIT_VR_LE, 'Transfer Syntax UID (0002,0010) of the part');
    },
  },
  {
    id: 'WADO-05',
    section: 'PS3.18 §10.4.3.1 Table 10.4.3-1, §8.7.3',
    title: 'Accept: application/zip alone answers 406',
    async run(ctx) {
      expectStatus(await ctx.get(FIRST_INSTANCE_PATH, { accept: 'application/zip' }), 406);
    },
  },
  {
    id: 'WADO-06',
    section: 'PS3.18 §10.4.3.1 Table 10.4.3-1',
    title: 'unknown study answers 404 (retrieve and metadata)',
    async run(ctx) {
      expectStatus(await ctx.get(`/studies/${UNKNOWN_STUDY_UID}`, { accept: ACCEPT_DICOM_AS_STORED }), 404);
      expectStatus(await ctx.get(`/studies/${UNKNOWN_STUDY_UID}/metadata`, { accept: 'application/dicom+json' }), 404);
    },
  },
  {
    id: 'WADO-21',
    section: 'PS3.18 §10.4.1.1.1 Table 10.4.1-1, §10.4.3.1 Table 10.4.3-1',
    title: 'an instance under another series of its study answers 404 (retrieve and metadata)',
    async run(ctx) {
      const wrongPath = instancePath(CT_STUDY.uid, CT_SERIES_2.uid, FIRST_INSTANCE);
      expectStatus(await ctx.get(wrongPath, { accept: ACCEPT_DICOM_AS_STORED }), 404);
      expectStatus(await ctx.get(`${wrongPath}/metadata`, { accept: 'application/dicom+json' }), 404);
    },
  },
];
