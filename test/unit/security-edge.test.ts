/**
 * Edge hardening and per-request access decisions without a server:
 * src/security/edge.ts pathProblem, rate limiter, RequestAccess.
 */
import test from 'ava';
import { pathProblem } from '../../src/security/edge.js';
import { RateLimiter } from '../../src/security/rate-limit.js';
import { RequestAccess } from '../../src/security/access.js';
import type { StudyPatients } from '../../src/security/study-patients.js';
import type { PatientRef } from '../../src/security/policy.js';
import type { Principal } from '../../src/security/principal.js';

test('paths: DICOMweb shapes pass; traversal, encoded slashes, backslashes, NUL and double encoding do not', (t) => {
  for (const ok of ['/dicom-web/studies', '/dicom-web/studies/1.2.3/series/4.5/instances/6.7/frames/1,2,3', '/dicom-web/studies/1.2/series/3.4/instances/5.6/frames/1%2C2', '/healthz', '/', '/viewer/']) {
    t.is(pathProblem(ok), undefined, ok);
  }
  const bad: Array<[string, string | undefined]> = [
    ['/dicom-web/studies/..%2F..%2Finstances', 'study'],
    ['/dicom-web/studies/%2E%2E/series', 'study'],
    ['/dicom-web/studies/1.2/../../tools', undefined],
    ['/dicom-web/studies/1.2%252F..%252Fsystem', 'study'],
    ['/dicom-web/studies/1.2\\..\\system', 'study'],
    ['/dicom-web/studies/1.2%00/series', 'study'],
    ['/dicom-web/studies/1.2%5C..%5Csystem', 'study'],
    ['/dicom-web//studies', undefined],
    ['/dicom-web/studies/', undefined],
    ['/dicom-web/studies/1.2/series/3.4/instances/5.6/bulk/7fe00010%2F..', 'bulkdata'],
    ['/dicom-web/studies/%E0%A4%A', 'study'],
  ];
  for (const [path, parameter] of bad) {
    const problem = pathProblem(path);
    t.truthy(problem, path);
    if (parameter) t.is(problem?.parameter, parameter, path);
  }
});

test('rate limiter: a burst, then the sustained rate, per key', (t) => {
  let now = 0;
  const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 3 }, () => now);
  t.deepEqual([0, 0, 0].map(() => limiter.take('a')), [0, 0, 0]);
  t.true(limiter.take('a') >= 1);
  t.is(limiter.take('b'), 0, 'other identities have their own bucket');
  now += 500;
  t.is(limiter.take('a'), 0, 'one token back after 1/rate seconds');
  t.true(limiter.take('a') > 0);
});

function fakeStudies(map: Record<string, PatientRef[]>): StudyPatients & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    lookup: async (uid: string) => {
      lookups.push(uid);
      return map[uid];
    },
    peek: (uid: string) => map[uid],
  } as unknown as StudyPatients & { lookups: string[] };
}

const restricted = (restriction: Principal['restriction']): Principal => ({ id: 'u', kind: 'token', roles: new Set(['read']), restriction });

test('study checks: other patients and unknown studies answer the same 404; STOW may create a study', async (t) => {
  const studies = fakeStudies({ '1.1': [{ id: 'P1' }], '2.2': [{ id: 'P2' }] });
  const access = new RequestAccess(restricted({ patientIds: ['P1'] }), studies);
  await t.notThrowsAsync(access.authorizeStudy('1.1', false));
  const other = await t.throwsAsync(access.authorizeStudy('2.2', false));
  const missing = await t.throwsAsync(access.authorizeStudy('9.9', false));
  t.is((other as { status?: number }).status, 404);
  t.is(other?.message.replace('2.2', 'X'), missing?.message.replace('9.9', 'X'), 'no difference between hidden and absent');
  await t.notThrowsAsync(access.authorizeStudy('9.9', true));
  t.regex(access.facts.denial ?? '', /patient the caller may not access/);
});

test('row filter: own PatientID and issuer from rows, archive lookups for rows that lack them', async (t) => {
  const studies = fakeStudies({ '3.3': [{ id: 'P1', issuer: 'A' }] });
  const access = new RequestAccess(restricted({ patientIds: ['P1'], issuers: ['A'] }), studies);
  const row = (study: string, id?: string, issuer?: string) => ({
    '0020000D': { Value: [study] },
    ...(id && { '00100020': { Value: [id] } }),
    ...(issuer && { '00100021': { Value: [issuer] } }),
  });
  const kept = await access.filterRows([row('1.1', 'P1', 'A'), row('2.2', 'P1', 'B'), row('3.3', 'P1'), row('4.4', 'P2', 'A'), row('5.5')]);
  t.deepEqual(kept.map((r) => r['0020000D']?.Value?.[0]), ['1.1', '3.3']);
  t.deepEqual(studies.lookups, ['3.3', '5.5']);
  t.deepEqual([...access.facts.studies], ['1.1', '3.3']);
});

test('store checks: own patient, new study ok; other patient or another patient\'s study refused', async (t) => {
  const access = new RequestAccess(restricted({ patientIds: ['P1'] }), fakeStudies({ '2.2': [{ id: 'P2' }] }));
  await t.notThrowsAsync(access.assertMayStore({ studyUid: '1.1', patientId: 'P1' }));
  const wrongPatient = await t.throwsAsync(access.assertMayStore({ studyUid: '1.1', patientId: 'P2' }));
  t.is((wrongPatient as { code?: string }).code, 'STORE_NOT_AUTHORIZED');
  await t.throwsAsync(access.assertMayStore({ studyUid: '2.2', patientId: 'P1' }), { message: /exists in the archive under a patient/ });
});
