/**
 * The six search resources of PS3.18 Table 10.6.1-1, beyond /studies, and what
 * a relational (All Series) answer must also carry (§10.6.3.3.2).
 */
import { check, expectSameSet, expectTags } from '../assert.js';
import { STUDY_REQUIRED, TAG, column, text } from '../dicom-json.js';
import { instanceUidsOf, studyInstanceUids } from '../fixtures.js';
import type { ConformanceCase } from '../types.js';
import { CT_SERIES_1, CT_SERIES_2, CT_STUDY, search } from './common.js';

const CT_SERIES_UIDS = CT_STUDY.series.map((s) => s.uid);

export const resourceCases: ConformanceCase[] = [
  {
    id: 'QIDO-27',
    section: 'PS3.18 §10.6.1, Table 10.6.1-1 (Study\'s Series)',
    title: 'series search at /studies/{study}/series',
    async run(ctx) {
      const list = await search(ctx, `/studies/${CT_STUDY.uid}/series`);
      expectSameSet(column(list, TAG.SeriesInstanceUID), CT_SERIES_UIDS, 'series of the CT study');
      check(column(list, TAG.Modality).every((m) => m === 'CT'), `Modality not CT: ${column(list, TAG.Modality).join(', ')}`);
    },
  },
  {
    id: 'QIDO-28',
    section: 'PS3.18 §10.6.1, Table 10.6.1-1 (All Series)',
    title: 'series search at /series?StudyInstanceUID=',
    async run(ctx) {
      const list = await search(ctx, `/series?StudyInstanceUID=${CT_STUDY.uid}`);
      expectSameSet(column(list, TAG.SeriesInstanceUID), CT_SERIES_UIDS, '/series?StudyInstanceUID=<CT study>');
    },
  },
  {
    id: 'QIDO-29',
    section: 'PS3.18 §10.6.1, Table 10.6.1-1 (Study\'s Instances)',
    title: 'instance search at /studies/{study}/instances',
    async run(ctx) {
      const list = await search(ctx, `/studies/${CT_STUDY.uid}/instances`);
      expectSameSet(column(list, TAG.SOPInstanceUID), studyInstanceUids(CT_STUDY.uid), 'instances of the CT study');
    },
  },
  {
    id: 'QIDO-30',
    section: 'PS3.18 §10.6.1, Table 10.6.1-1 (Study\'s Series\' Instances)',
    title: 'instance search at /studies/{s}/series/{s}/instances',
    async run(ctx) {
      const list = await search(ctx, `/studies/${CT_STUDY.uid}/series/${CT_SERIES_1.uid}/instances`);
      expectSameSet(column(list, TAG.SOPInstanceUID), instanceUidsOf(CT_SERIES_1.uid), 'instances of CT series 1');
    },
  },
  {
    id: 'QIDO-31',
    section: 'PS3.18 §10.6.1, Table 10.6.1-1 (All Instances)',
    title: 'instance search at /instances?SeriesInstanceUID=',
    async run(ctx) {
      const list = await search(ctx, `/instances?SeriesInstanceUID=${CT_SERIES_2.uid}`);
      expectSameSet(column(list, TAG.SOPInstanceUID), instanceUidsOf(CT_SERIES_2.uid), 'instances of CT series 2');
    },
  },
  {
    id: 'QIDO-37',
    section: 'PS3.18 §10.6.3.3.2 (All Series), Table 10.6.3-3',
    title: 'All Series results carry the required study attributes',
    async run(ctx) {
      const list = await search(ctx, `/series?StudyInstanceUID=${CT_STUDY.uid}`);
      check(list.length > 0, 'no series found');
      for (const d of list) expectTags(d, STUDY_REQUIRED, `series ${text(d, TAG.SeriesNumber) ?? '?'}`);
    },
  },
];
