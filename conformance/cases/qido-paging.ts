/**
 * QIDO-RS paging (PS3.18 §8.3.4.4) and the success status codes of a search
 * (§8.3.4.4.1, §10.6.3.1): 204 when nothing matches, Warning 299 when more
 * matches remain than were returned.
 */
import { check, expectEqual, expectSameSet, expectStatus, warnings299 } from '../assert.js';
import { UNKNOWN_STUDY_UID } from '../fixtures.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { ALPHA, ALPHA_UIDS, DICOM_JSON, studyUids } from './common.js';

async function expectNoContent(ctx: CaseContext, pathAndQuery: string, alsoAllowed: number[] = []): Promise<void> {
  const res = await ctx.get(pathAndQuery, DICOM_JSON);
  expectStatus(res, 204, ...alsoAllowed);
  if (res.status === 204) expectEqual(res.body.length, 0, '204 body length');
}

export const pagingCases: ConformanceCase[] = [
  {
    id: 'QIDO-09',
    section: 'PS3.18 §8.3.4.4',
    title: 'limit=1 returns one match',
    async run(ctx) {
      const found = await studyUids(ctx, `PatientID=${ALPHA.id}&limit=1`);
      expectEqual(found.length, 1, 'number of results with limit=1');
      check(ALPHA_UIDS.includes(found[0]!), `result ${found[0]} is not a study of ${ALPHA.id}`);
    },
  },
  {
    id: 'QIDO-10',
    section: 'PS3.18 §8.3.4.4, §8.3.4.4.1',
    title: 'offset pages through the matches (limit=1, offset=0 and 1)',
    async run(ctx) {
      const first = await studyUids(ctx, `PatientID=${ALPHA.id}&limit=1&offset=0`);
      const second = await studyUids(ctx, `PatientID=${ALPHA.id}&limit=1&offset=1`);
      expectEqual(first.length, 1, 'results of offset=0');
      expectEqual(second.length, 1, 'results of offset=1');
      expectSameSet([...first, ...second], ALPHA_UIDS, 'offset=0 and offset=1 together');
    },
  },
  {
    id: 'QIDO-11',
    section: 'PS3.18 §8.3.4.4.1',
    title: 'Warning: 299 when matches remain beyond limit',
    async run(ctx) {
      const res = await ctx.get(`/studies?PatientID=${ALPHA.id}&limit=1`, DICOM_JSON);
      expectStatus(res, 200);
      check(warnings299(res).length > 0, `2 matches, limit=1, but no "Warning: 299" header (Warning: ${res.headers['warning'] ?? 'absent'})`);
    },
  },
  {
    id: 'QIDO-15',
    section: 'PS3.18 §8.3.4.4.1, §10.6.3.1',
    title: 'no match answers 204 No Content',
    async run(ctx) {
      await expectNoContent(ctx, '/studies?PatientID=CONF-NOBODY');
    },
  },
  {
    id: 'QIDO-16',
    section: 'PS3.18 §10.6.1, §10.6.3.1',
    title: 'unknown study in the path answers 204 (or 404)',
    async run(ctx) {
      await expectNoContent(ctx, `/studies/${UNKNOWN_STUDY_UID}/series`, [404]);
    },
  },
  {
    id: 'QIDO-36',
    section: 'PS3.18 §8.3.4.4.1',
    title: 'offset at or past the last match answers 204',
    async run(ctx) {
      await expectNoContent(ctx, `/studies?PatientID=${ALPHA.id}&offset=${ALPHA_UIDS.length}`);
    },
  },
];
