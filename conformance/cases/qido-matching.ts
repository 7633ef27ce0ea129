/**
 * QIDO-RS attribute matching (PS3.18 §8.3.4.1 with PS3.4 C.2.2.2), fuzzy
 * matching (§8.3.4.2) and percent-encoded values (§8.3.1). Every query is
 * scoped to the fixture patients (PatientID CONF-*) or to fixture UIDs.
 */
import { check, datasets, expectIncludes, expectSameSet, warnings299 } from '../assert.js';
import { TAG, column } from '../dicom-json.js';
import { FIXTURE, PATIENT_ID_PREFIX, allStudies } from '../fixtures.js';
import type { ConformanceCase } from '../types.js';
import { ALPHA, ALPHA_UIDS, CT_STUDY, DICOM_JSON, MR_STUDY, search, studyUids } from './common.js';

const { muller, dvorak } = FIXTURE;
const MULLER_STUDY = muller.studies[0]!;

export const matchingCases: ConformanceCase[] = [
  {
    id: 'QIDO-02',
    section: 'PS3.18 §8.3.4.1, PS3.4 C.2.2.2.1',
    title: 'single value matching on PatientID',
    async run(ctx) {
      const list = await search(ctx, `/studies?PatientID=${ALPHA.id}`);
      expectSameSet(column(list, TAG.StudyInstanceUID), ALPHA_UIDS, `studies of PatientID=${ALPHA.id}`);
      check(column(list, TAG.PatientID).every((id) => id === ALPHA.id), `a result has a PatientID other than ${ALPHA.id}`);
    },
  },
  {
    id: 'QIDO-03',
    section: 'PS3.18 §8.3.4.1',
    title: 'keyword and tag (00100020) name the same attribute',
    async run(ctx) {
      const byKeyword = await studyUids(ctx, `PatientID=${ALPHA.id}`);
      const byTag = await studyUids(ctx, `00100020=${ALPHA.id}`);
      expectSameSet(byTag, byKeyword, '00100020= vs PatientID=');
      expectSameSet(byTag, ALPHA_UIDS, `studies of 00100020=${ALPHA.id}`);
    },
  },
  {
    id: 'QIDO-04',
    section: 'PS3.18 §8.3.4.1, PS3.4 C.2.2.2.4',
    title: 'wildcard * on PatientName',
    async run(ctx) {
      expectSameSet(await studyUids(ctx, 'PatientName=CONFORMANCE^AL*'), ALPHA_UIDS, 'PatientName=CONFORMANCE^AL*');
    },
  },
  {
    id: 'QIDO-05',
    section: 'PS3.18 §8.3.4.1, PS3.4 C.2.2.2.4',
    title: 'wildcard ? on PatientName',
    async run(ctx) {
      expectSameSet(await studyUids(ctx, 'PatientName=CONFORMANCE^ALPH?'), ALPHA_UIDS, 'PatientName=CONFORMANCE^ALPH?');
    },
  },
  {
    id: 'QIDO-06',
    section: 'PS3.18 §8.3.4.1, PS3.4 C.2.2.2.5',
    title: 'StudyDate range matching',
    async run(ctx) {
      const found = await studyUids(ctx, `PatientID=${ALPHA.id}&StudyDate=20190101-20191231`);
      expectSameSet(found, [CT_STUDY.uid], 'StudyDate=20190101-20191231');
    },
  },
  {
    id: 'QIDO-07',
    section: 'PS3.18 §8.3.4.1, PS3.4 C.2.2.2.5',
    title: 'open-ended StudyDate ranges (from- and -to)',
    async run(ctx) {
      expectSameSet(await studyUids(ctx, `PatientID=${ALPHA.id}&StudyDate=20200101-`), [MR_STUDY.uid], 'StudyDate=20200101-');
      expectSameSet(await studyUids(ctx, `PatientID=${ALPHA.id}&StudyDate=-20191231`), [CT_STUDY.uid], 'StudyDate=-20191231');
    },
  },
  {
    id: 'QIDO-08',
    section: 'PS3.18 §8.3.4.1 (uid-list-match), PS3.4 C.2.2.2.2',
    title: 'list of UID matching on StudyInstanceUID',
    async run(ctx) {
      const wanted = [CT_STUDY.uid, dvorak.studies[0]!.uid];
      expectSameSet(await studyUids(ctx, `StudyInstanceUID=${wanted.join(',')}`), wanted, 'StudyInstanceUID=<uid>,<uid>');
    },
  },
  {
    id: 'QIDO-14',
    section: 'PS3.18 §8.3.4.2, PS3.4 C.2.2.2.1.1',
    title: 'fuzzymatching: "muller" finds Müller^Jürgen, or Warning 299',
    async run(ctx) {
      const res = await ctx.get('/studies?PatientName=muller&fuzzymatching=true', DICOM_JSON);
      const found = res.status === 200 ? column(datasets(res), TAG.StudyInstanceUID) : [];
      if (found.includes(MULLER_STUDY.uid)) return;
      const warned = warnings299(res).some((w) => /fuzzy/i.test(w));
      check(warned, `no result for ${muller.name} (HTTP ${res.status}, ${found.length} results) and no "Warning: 299 ... fuzzymatching ... not supported"`);
    },
  },
  {
    id: 'QIDO-25',
    section: 'PS3.18 §8.3.1, §8.3.4.1 (RFC 3986 percent-encoding)',
    title: 'percent-encoded wildcard PatientID=CONF-%2A matches',
    async run(ctx) {
      const list = await search(ctx, '/studies?PatientID=CONF-%2A');
      expectIncludes(column(list, TAG.StudyInstanceUID), allStudies().map((s) => s.uid), 'PatientID=CONF-%2A');
      check(column(list, TAG.PatientID).every((id) => id.startsWith(PATIENT_ID_PREFIX)), `a result's PatientID does not start with ${PATIENT_ID_PREFIX}`);
    },
  },
  {
    id: 'QIDO-26',
    section: 'PS3.18 §8.3.1, §8.3.4.1',
    title: 'non-ASCII PatientName, percent-encoded UTF-8, exact match',
    async run(ctx) {
      const list = await search(ctx, `/studies?PatientName=${encodeURIComponent(muller.name)}`);
      expectSameSet(column(list, TAG.StudyInstanceUID), [MULLER_STUDY.uid], `PatientName=${muller.name}`);
      check(column(list, TAG.PatientName).every((n) => n === muller.name), `PatientName not returned as ${muller.name}: ${column(list, TAG.PatientName).join(', ')}`);
    },
  },
  {
    id: 'QIDO-35',
    section: 'PS3.18 §8.3.1, §8.3.4.1',
    title: 'percent-encoded value with spaces matches (StudyDescription)',
    async run(ctx) {
      const found = await studyUids(ctx, `PatientID=${ALPHA.id}&StudyDescription=${encodeURIComponent(CT_STUDY.description)}`);
      expectSameSet(found, [CT_STUDY.uid], `StudyDescription=${CT_STUDY.description}`);
    },
  },
  {
    id: 'QIDO-39',
    section: 'PS3.18 §8.3.4 Table 8.3.4-1, §8.3.4.5, §8.3.4.6',
    title: 'emptyvaluematching/multiplevaluematching=false accepted',
    async run(ctx) {
      for (const param of ['emptyvaluematching=false', 'multiplevaluematching=false']) {
        expectSameSet(await studyUids(ctx, `PatientID=${ALPHA.id}&${param}`), ALPHA_UIDS, `PatientID=${ALPHA.id}&${param}`);
      }
    },
  },
];
