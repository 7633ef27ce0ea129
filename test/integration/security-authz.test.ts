/**
 * Per-patient and per-study restrictions through the real upstream: QIDO-RS
 * answers are filtered, WADO-RS of anything else is 404 exactly like a study
 * that does not exist, STOW-RS into another patient's study is refused; each
 * with the audit event it writes.
 */
import anyTest, { type TestFn } from 'ava';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { generateStudy, randomUid, type StudySpec } from '../../scripts/fixtures/generate.js';
import { failureOf, items, stowFiles } from '../fuzz/stow-client.js';
import { AUDIENCE, auditOf, bearer, call, startIdp, tempDir, type Idp } from './security-helpers.js';

const test = anyTest as TestFn<{ gw: RunningGateway; audit: string }>;

const study = (uid: string, patientId: string, issuer: string, instances = 2): StudySpec => ({
  patientName: `Patient^${patientId}`, patientId, issuerOfPatientId: issuer, birthDate: '19800101', sex: 'O', studyDate: '20240101', studyInstanceUid: uid,
  series: [{ modality: 'CT', instances, seriesInstanceUid: `${uid}.1`, rows: 32, columns: 32 }],
});
const A = '2.25.8001'; // P1 at HOSP-A: visible to the restricted key
const B = '2.25.8002'; // P2 at HOSP-A
const C = '2.25.8003'; // P1 at HOSP-B: same PatientID, another hospital
const UNKNOWN = '2.25.8999';
const fixture = useOrthanc(anyTest, [study(A, 'P1', 'HOSP-A'), study(B, 'P2', 'HOSP-A'), study(C, 'P1', 'HOSP-B')]);
const KEY = 'dgw_restricted-key-for-the-authz-tests-0001';
const headers = { 'x-api-key': KEY };

let idp: Idp;
anyTest.before(async () => {
  idp = await startIdp();
});
anyTest.after.always(async () => {
  await idp?.close();
});

test.beforeEach(async (t) => {
  t.context.audit = tempDir();
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, {
    security: {
      oidc: { issuer: idp.issuer, audience: AUDIENCE, claims: { studies: 'allowed_studies' } },
      apiKeys: [{ id: 'hospa-p1', hash: hashApiKey(KEY), roles: ['read', 'write'], patientIds: ['P1'], issuers: ['HOSP-A'] }],
      audit: { dir: t.context.audit },
    },
  });
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

type Rows = Array<Record<string, { Value?: unknown[] }>>;
const column = (rows: Rows, tag: string) => rows.map((r) => r[tag]?.Value?.[0]).sort();
const instanceOf = (uid: string) => fixture().instances.find((i) => i.studyInstanceUid === uid)!;

test('QIDO: every level is filtered to the caller\'s patients; the Query event names what was returned', async (t) => {
  const { url } = t.context.gw;
  // The STOW test may add studies of P1 at HOSP-A meanwhile: those are visible too; B and C never.
  const visible = (uids: unknown[]) => t.true(uids.includes(A) && !uids.includes(B) && !uids.includes(C), JSON.stringify(uids));
  const studies = await call(`${url}/studies`, { headers });
  t.is(studies.status, 200);
  visible(column(studies.json<Rows>(), '0020000D'));
  const event = await auditOf(t.context.audit, studies);
  t.is(event?.eventType, 'Query');
  t.true(event?.studies?.includes(A));
  t.deepEqual(event?.patients, [{ id: 'P1', issuer: 'HOSP-A' }]);
  const series = column((await call(`${url}/series`, { headers })).json<Rows>(), '0020000E');
  t.true(series.includes(`${A}.1`) && !series.includes(`${B}.1`) && !series.includes(`${C}.1`));
  visible([...new Set(column((await call(`${url}/instances`, { headers })).json<Rows>(), '0020000D'))]);
  const hidden = await call(`${url}/studies?PatientID=P2&limit=1`, { headers });
  const none = await call(`${url}/studies?PatientID=NO-SUCH-PATIENT&limit=1`, { headers });
  t.is(hidden.status, 204, 'all rows hidden looks like no match');
  t.is(none.status, 204);
  t.is(hidden.headers.warning, none.headers.warning, 'no count-based warning betrays hidden rows');
  t.regex(String(hidden.headers.warning), /limited to the patients and studies you may access/);
  const unrestricted = await call(`${url}/studies`);
  t.is(unrestricted.status, 401, 'the gateway has authentication on: no anonymous fallback');
});

test('QIDO for a caller restricted to one patient pages that patient\'s results: limit=1 finds its study whatever the archive lists first', async (t) => {
  const { url } = t.context.gw;
  for (const offset of [0, 1]) {
    const page = await call(`${url}/studies?limit=1&offset=${offset}&includefield=IssuerOfPatientID`, { headers });
    if (offset === 0) {
      t.is(page.status, 200, page.text);
      const rows = JSON.parse(page.text) as Rows;
      t.deepEqual(column(rows, '0020000D'), [A]);
    } else {
      // Only A is P1 at HOSP-A (unless the STOW test added one meanwhile): nothing, or another of P1's studies.
      t.true(page.status === 204 || !page.text.includes(B), page.text);
    }
  }
  for (const path of ['/series?limit=1', '/instances?limit=1']) {
    const res = await call(`${url}${path}`, { headers });
    t.is(res.status, 200, `${path}: ${res.text}`);
    const [studyUid] = column(JSON.parse(res.text) as Rows, '0020000D') as string[];
    t.true(studyUid !== B && studyUid !== C, `${path}: ${studyUid}`);
    // A, or a study of P1 at HOSP-A that the STOW test (running alongside) stored: one this caller may see.
    if (studyUid !== A) t.is((await call(`${url}/studies?StudyInstanceUID=${studyUid}`, { headers })).status, 200, `${path}: ${studyUid} is the caller's`);
  }
});

test('QIDO inside another patient\'s study is 404, like a study that does not exist', async (t) => {
  const { url } = t.context.gw;
  const hidden = await call(`${url}/studies/${B}/series`, { headers });
  const missing = await call(`${url}/studies/${UNKNOWN}/series`, { headers });
  t.is(hidden.status, 404);
  t.is(missing.status, 404);
  t.deepEqual({ ...hidden.json(), detail: String(hidden.json().detail).replace(B, 'X'), instance: '' }, { ...missing.json(), detail: String(missing.json().detail).replace(UNKNOWN, 'X'), instance: '' });
  t.is((await call(`${url}/studies/${A}/series`, { headers })).status, 200);
});

test('WADO of another patient\'s study: 404 on every resource, identical to an unknown study, audited as a Security Alert', async (t) => {
  const { url } = t.context.gw;
  const b = instanceOf(B);
  const paths = (s: string, se: string, i: string) => [
    `/studies/${s}`, `/studies/${s}/metadata`, `/studies/${s}/series/${se}/metadata`, `/studies/${s}/series/${se}/instances/${i}`,
    `/studies/${s}/series/${se}/instances/${i}/frames/1`, `/studies/${s}/series/${se}/instances/${i}/rendered`, `/studies/${s}/thumbnail`,
    `/studies/${s}/series/${se}/instances/${i}/bulk/7fe00010`,
  ];
  const hidden = paths(B, b.seriesInstanceUid, b.sopInstanceUid);
  const unknown = paths(UNKNOWN, b.seriesInstanceUid, b.sopInstanceUid);
  for (const [i, path] of hidden.entries()) {
    const res = await call(`${url}${path}`, { headers });
    const other = await call(`${url}${unknown[i]}`, { headers });
    t.is(res.status, 404, path);
    t.is(res.headers['content-type'], 'application/problem+json', path);
    t.is(res.json().code, other.json().code, path);
    t.is(String(res.json().detail).replace(B, 'X'), String(other.json().detail).replace(UNKNOWN, 'X'), path);
  }
  const res = await call(`${url}/studies/${B}/metadata`, { headers });
  const event = await auditOf(t.context.audit, res);
  t.is(event?.eventType, 'Security Alert');
  t.is(event?.eventTypeCode?.meaning, 'Authorization Decision');
  t.is(event?.outcome, 4);
  t.deepEqual(event?.studies, [B]);
  t.deepEqual(event?.patients, [{ id: 'P2', issuer: 'HOSP-A' }]);
  t.is(event?.user.id, 'hospa-p1');
  const own = await call(`${url}/studies/${A}/metadata`, { headers });
  t.is(own.status, 200);
  const ownEvent = await auditOf(t.context.audit, own);
  t.is(ownEvent?.eventType, 'DICOM Instances Accessed');
  t.deepEqual(ownEvent?.patients, [{ id: 'P1', issuer: 'HOSP-A' }]);
  const retrieve = await call(`${url}/studies/${A}`, { headers: { ...headers, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  t.is(retrieve.status, 200);
  t.is((await auditOf(t.context.audit, retrieve))?.eventType, 'DICOM Instances Transferred');
});

test('an allowed-studies claim: only those studies, whoever the patient', async (t) => {
  const { url } = t.context.gw;
  const token = bearer(await idp.sign({ scope: 'dicomweb.read', allowed_studies: [C] }));
  t.deepEqual(column((await call(`${url}/studies`, { headers: token })).json<Rows>(), '0020000D'), [C]);
  t.is((await call(`${url}/studies/${C}/metadata`, { headers: token })).status, 200);
  t.is((await call(`${url}/studies/${A}/metadata`, { headers: token })).status, 404);
  const none = bearer(await idp.sign({ scope: 'dicomweb.read', allowed_studies: [] }));
  t.is((await call(`${url}/studies`, { headers: none })).status, 204, 'an empty claim sees nothing');
});

test('STOW: another patient, or own patient into another patient\'s study, is refused with 0x0124; own new study is stored', async (t) => {
  const { url } = t.context.gw;
  const otherPatient = generateStudy(study(randomUid(), 'P2', 'HOSP-A', 1))[0]!.part10;
  const intoB = generateStudy({ ...study(B, 'P1', 'HOSP-A', 1), series: [{ modality: 'CT', instances: 1, seriesInstanceUid: randomUid(), rows: 32, columns: 32 }] })[0]!.part10;
  const refused = await stowFiles(url, [otherPatient, intoB], { headers });
  t.is(refused.status, 409, refused.text);
  const failures = items(refused.json(), '00081198');
  t.deepEqual(failures.map(failureOf), [0x0124, 0x0124]);
  const event = await auditOf(t.context.audit, refused);
  t.is(event?.eventType, 'Security Alert');
  t.regex(event?.outcomeDescription ?? '', /store refused/);
  t.true(event?.studies?.includes(B));
  const viaPath = await stowFiles(url, [intoB], { headers, path: `/studies/${B}` });
  t.is(viaPath.status, 404, 'POST /studies/{study} of a study the caller may not see');
  const newStudy = randomUid();
  const own = generateStudy(study(newStudy, 'P1', 'HOSP-A', 1))[0]!.part10;
  const stored = await stowFiles(url, [own], { headers });
  t.is(stored.status, 200, stored.text);
  const storedEvent = await auditOf(t.context.audit, stored);
  t.is(storedEvent?.eventType, 'Instances Stored');
  t.is(storedEvent?.action, 'C');
  t.deepEqual(storedEvent?.studies, [newStudy]);
  t.deepEqual(storedEvent?.detail, { stored: 1, failed: 0 });
  t.is((await call(`${url}/studies/${newStudy}/metadata`, { headers })).status, 200, 'the new study is visible at once');
});
