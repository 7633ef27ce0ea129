/**
 * STOW-RS round trips (PS3.18 §10.5) that complete `stow.ts`: a stored
 * instance is found by QIDO-RS and retrieved byte for byte from the same
 * target, and a Study Instance UID mismatch names its FailureReason. Every
 * case stores a study with fresh UIDs under a random 2.25 root (PatientID
 * "STOWCONF-…", outside the QIDO fixtures), so re-runs never collide.
 */
import { randomUid } from '../../scripts/fixtures/generate.js';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { check, datasets, describe, expectEqual, expectStatus, mediaTypeOf } from '../assert.js';
import { TAG, column, text } from '../dicom-json.js';
import type { HttpAnswer } from '../http.js';
import { multipartRelated } from '../stow.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { ACCEPT_DICOM_AS_STORED, getParts, instancePath } from './wado-common.js';

type Item = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function freshInstance(studyInstanceUid = randomUid()): GeneratedInstance {
  return generateStudy({
    patientName: 'STOWCONF^ROUNDTRIP', patientId: `STOWCONF-${studyInstanceUid.slice(-8)}`, birthDate: '19700101', sex: 'O',
    studyDate: '20240101', studyInstanceUid, series: [{ modality: 'CT', instances: 1, rows: 16, columns: 16 }],
  })[0]!;
}

function store(ctx: CaseContext, parts: Buffer[], path = '/studies'): Promise<HttpAnswer> {
  const { contentType, body } = multipartRelated(parts);
  return ctx.send(path, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/dicom+json' }, body });
}

function responseModule(res: HttpAnswer): Item {
  check(mediaTypeOf(res) === 'application/dicom+json', `expected a DICOM JSON Store Instances Response Module, got ${describe(res)}`);
  return res.json() as Item;
}

export const stowRoundTripCases: ConformanceCase[] = [
  {
    id: 'STOW-11',
    section: 'PS3.18 §10.5.2, §10.6 (Search), §10.4.1.1.1 (Retrieve)',
    title: 'a stored instance is found by QIDO-RS and retrieved byte for byte (transfer-syntax=*)',
    async run(ctx) {
      const i = freshInstance();
      expectStatus(await store(ctx, [i.part10]), 200);
      const studies = datasets(await ctx.get(`/studies?StudyInstanceUID=${i.studyInstanceUid}`, { accept: 'application/dicom+json' }));
      expectEqual(column(studies, TAG.StudyInstanceUID).join(','), i.studyInstanceUid, 'QIDO /studies?StudyInstanceUID=');
      expectEqual(text(studies[0]!, TAG.NumberOfStudyRelatedInstances), '1', 'NumberOfStudyRelatedInstances');
      const instances = datasets(await ctx.get(`/studies/${i.studyInstanceUid}/instances`, { accept: 'application/dicom+json' }));
      expectEqual(column(instances, TAG.SOPInstanceUID).join(','), i.sopInstanceUid, 'QIDO /studies/{study}/instances');
      const parts = await getParts(ctx, instancePath(i.studyInstanceUid, i.seriesInstanceUid, i.sopInstanceUid), ACCEPT_DICOM_AS_STORED, 'application/dicom');
      check(parts.length === 1 && parts[0]!.body.equals(i.part10), 'the retrieved instance is not the stored bytes');
    },
  },
  {
    id: 'STOW-12',
    section: 'PS3.18 §10.5.1.1.1 Table 10.5.1-1, §10.5.3.1 Table 10.5.3-1, Annex I Table I.2-2',
    title: 'Study UID mismatch: 409, FailedSOPSequence item with FailureReason A900',
    async run(ctx) {
      const i = freshInstance();
      const res = await store(ctx, [i.part10], `/studies/${randomUid()}`);
      expectStatus(res, 409);
      const failed = (responseModule(res)['00081198']?.Value ?? []) as Item[];
      expectEqual(failed.length, 1, 'items in FailedSOPSequence (0008,1198)');
      const reason = failed[0]!['00081197']?.Value?.[0];
      check(reason === 0xa900, `FailureReason (0008,1197) is ${typeof reason === 'number' ? `0x${reason.toString(16).toUpperCase()}` : String(reason)}, expected 0xA900 (data set does not match)`);
      expectEqual(failed[0]!['00081155']?.Value?.[0], i.sopInstanceUid, 'ReferencedSOPInstanceUID of the failed item');
    },
  },
];
