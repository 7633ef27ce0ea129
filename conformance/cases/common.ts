/**
 * Small helpers shared by the QIDO-RS case tables.
 */
import { datasets } from '../assert.js';
import { TAG, column, type DicomDataset } from '../dicom-json.js';
import { FIXTURE } from '../fixtures.js';
import type { CaseContext } from '../types.js';

export const DICOM_JSON = { accept: 'application/dicom+json' } as const;

/** GET a search resource and return its DICOM JSON results (asserts a 200 JSON answer). */
export async function search(ctx: CaseContext, pathAndQuery: string): Promise<DicomDataset[]> {
  return datasets(await ctx.get(pathAndQuery, DICOM_JSON));
}

/** Study Instance UIDs found by `/studies?<query>`. */
export async function studyUids(ctx: CaseContext, query: string): Promise<string[]> {
  return column(await search(ctx, `/studies?${query}`), TAG.StudyInstanceUID);
}

export const ALPHA = FIXTURE.alpha;
export const ALPHA_UIDS: readonly string[] = ALPHA.studies.map((s) => s.uid);
export const CT_STUDY = FIXTURE.alphaCt;
export const MR_STUDY = FIXTURE.alphaMr;
export const CT_SERIES_1 = CT_STUDY.series[0]!;
export const CT_SERIES_2 = CT_STUDY.series[1]!;

/** The fixture study with this UID (cases compare returned values with it). */
export function fixtureStudy(uid: string) {
  const study = FIXTURE.patients.flatMap((p) => p.studies).find((s) => s.uid === uid);
  if (!study) throw new Error(`result for study ${uid}, which is not a fixture study of this query`);
  return study;
}
