/**
 * What a QIDO-RS answer contains (PS3.18 §10.6.3.3): its media type, the
 * required return attributes of Tables 10.6.3-3/-4/-5, includefield
 * (§8.3.4.3) and Retrieve URL.
 */
import { check, expectEqual, expectStatus, expectTags, mediaTypeOf } from '../assert.js';
import { INSTANCE_REQUIRED, SERIES_REQUIRED, STUDY_REQUIRED, TAG, text, type DicomDataset } from '../dicom-json.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { ALPHA, CT_SERIES_1, CT_STUDY, fixtureStudy, search } from './common.js';

/** Each study's StudyDescription (0008,1030) must equal the fixture's. */
function expectDescriptions(list: DicomDataset[], how: string): void {
  check(list.length > 0, `${how}: no results`);
  for (const d of list) {
    const study = fixtureStudy(text(d, TAG.StudyInstanceUID) ?? '');
    expectEqual(text(d, TAG.StudyDescription), study.description, `${how}: StudyDescription (00081030) of study ${study.accession}`);
  }
}

function expectRetrieveUrl(d: DicomDataset, expected: string, what: string): void {
  const url = text(d, TAG.RetrieveURL);
  check(url !== undefined, `${what}: no RetrieveURL (00081190)`);
  check(url.startsWith(expected), `${what}: RetrieveURL "${url}" does not begin with "${expected}"`);
}

async function seriesOfCtStudy(ctx: CaseContext): Promise<DicomDataset[]> {
  return search(ctx, `/studies/${CT_STUDY.uid}/series`);
}

export const payloadCases: ConformanceCase[] = [
  {
    id: 'QIDO-01',
    section: 'PS3.18 §10.6.3.3, §8.7.3.5 (application/dicom+json)',
    title: 'no Accept: answer is application/dicom+json (a JSON array)',
    async run(ctx) {
      const res = await ctx.get(`/studies?PatientID=${ALPHA.id}`);
      expectStatus(res, 200);
      expectEqual(mediaTypeOf(res), 'application/dicom+json', 'Content-Type');
      const body = res.json();
      check(Array.isArray(body) && body.length === ALPHA.studies.length, `expected a JSON array of ${ALPHA.studies.length} studies`);
    },
  },
  {
    id: 'QIDO-12',
    section: 'PS3.18 §8.3.4.3, §10.6.3.3.1',
    title: 'includefield=StudyDescription returns that attribute',
    async run(ctx) {
      expectDescriptions(await search(ctx, `/studies?PatientID=${ALPHA.id}&includefield=StudyDescription`), 'includefield=StudyDescription');
    },
  },
  {
    id: 'QIDO-13',
    section: 'PS3.18 §8.3.4.3, §10.6.3.3.1',
    title: 'includefield=all returns StudyDescription',
    async run(ctx) {
      expectDescriptions(await search(ctx, `/studies?PatientID=${ALPHA.id}&includefield=all`), 'includefield=all');
    },
  },
  {
    id: 'QIDO-17',
    section: 'PS3.18 §10.6.3.3.1, Table 10.6.3-3',
    title: 'study results carry the required attributes',
    async run(ctx) {
      const list = await search(ctx, `/studies?PatientID=${ALPHA.id}`);
      for (const d of list) {
        const study = fixtureStudy(text(d, TAG.StudyInstanceUID) ?? '');
        expectTags(d, STUDY_REQUIRED, `study ${study.accession}`);
        expectEqual(text(d, TAG.AccessionNumber), study.accession, 'AccessionNumber');
        expectEqual(text(d, TAG.NumberOfStudyRelatedSeries), String(study.series.length), `NumberOfStudyRelatedSeries of ${study.accession}`);
        const instances = study.series.reduce((n, s) => n + s.instances, 0);
        expectEqual(text(d, TAG.NumberOfStudyRelatedInstances), String(instances), `NumberOfStudyRelatedInstances of ${study.accession}`);
      }
    },
  },
  {
    id: 'QIDO-18',
    section: 'PS3.18 §10.6.3.3.2, Table 10.6.3-4',
    title: 'series results carry the required attributes',
    async run(ctx) {
      const list = await seriesOfCtStudy(ctx);
      check(list.length === CT_STUDY.series.length, `expected ${CT_STUDY.series.length} series, got ${list.length}`);
      for (const d of list) {
        const series = CT_STUDY.series.find((s) => s.uid === text(d, TAG.SeriesInstanceUID));
        check(series, `unexpected series ${text(d, TAG.SeriesInstanceUID)}`);
        expectTags(d, SERIES_REQUIRED, `series ${series.number}`);
        expectEqual(text(d, TAG.NumberOfSeriesRelatedInstances), String(series.instances), `NumberOfSeriesRelatedInstances of series ${series.number}`);
      }
    },
  },
  {
    id: 'QIDO-19',
    section: 'PS3.18 §10.6.3.3.3, Table 10.6.3-5',
    title: 'instance results carry the required attributes',
    async run(ctx) {
      const list = await search(ctx, `/studies/${CT_STUDY.uid}/series/${CT_SERIES_1.uid}/instances`);
      check(list.length === CT_SERIES_1.instances, `expected ${CT_SERIES_1.instances} instances, got ${list.length}`);
      for (const d of list) {
        expectTags(d, INSTANCE_REQUIRED, `instance ${text(d, TAG.InstanceNumber) ?? '?'}`);
        expectEqual(text(d, TAG.Rows), '16', 'Rows');
      }
    },
  },
  {
    id: 'QIDO-20',
    section: 'PS3.18 §10.6.3.3.1-2, Tables 10.6.3-3/-4 (Retrieve URL)',
    title: 'RetrieveURL begins with the base URL that was queried',
    async run(ctx) {
      for (const d of await search(ctx, `/studies?PatientID=${ALPHA.id}`)) {
        expectRetrieveUrl(d, `${ctx.baseUrl}/studies/${text(d, TAG.StudyInstanceUID) ?? '?'}`, 'study');
      }
      for (const d of await seriesOfCtStudy(ctx)) {
        expectRetrieveUrl(d, `${ctx.baseUrl}/studies/${CT_STUDY.uid}/series/${text(d, TAG.SeriesInstanceUID) ?? '?'}`, 'series');
      }
    },
  },
];
