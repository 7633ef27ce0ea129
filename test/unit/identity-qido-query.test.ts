/**
 * Recognizing QIDO-RS searches by EHR identity and rewriting them into the
 * archive's identities (src/identity/qido-ehr-query.ts).
 */
import test from 'ava';
import { parseQidoQuery } from '../../src/dicomweb/qido/params.js';
import { demographicHints, ehrIdentityOf, queryForArchiveIdentity, studiesOfArchiveIdentity } from '../../src/identity/qido-ehr-query.js';
import { planUpstream } from '../../src/dicomweb/qido/upstream-plan.js';

const study = (qs: string, studyUid?: string) => parseQidoQuery(qs, { level: studyUid ? 'series' : 'study', ignoredParameters: [], ...(studyUid && { studyUid }) });
const ISSUERS = ['EHR-A'];

test('only PatientID plus an EHR issuer is an EHR search', (t) => {
  t.deepEqual(ehrIdentityOf(study('PatientID=E1&IssuerOfPatientID=EHR-A'), ISSUERS), { id: 'E1', issuer: 'EHR-A' });
  t.is(ehrIdentityOf(study('PatientID=E1&IssuerOfPatientID=HOSP'), ISSUERS), undefined);
  t.is(ehrIdentityOf(study('PatientID=E1'), ISSUERS), undefined);
  t.is(ehrIdentityOf(study('PatientID=E1&IssuerOfPatientID=EHR-*'), ISSUERS), undefined);
  t.throws(() => ehrIdentityOf(study('PatientID=E*&IssuerOfPatientID=EHR-A'), ISSUERS), { message: /needs one exact PatientID/ });
  t.throws(() => ehrIdentityOf(study('IssuerOfPatientID=EHR-A'), ISSUERS), { message: /needs one exact PatientID/ });
});

test('exact demographics given with the query are hints; wildcards and ranges are not', (t) => {
  t.deepEqual(demographicHints(study('PatientID=E1&PatientName=Doe^Jane&PatientBirthDate=19700101&PatientSex=f')), { name: 'Doe^Jane', birthDate: '19700101', sex: 'F' });
  t.is(demographicHints(study('PatientID=E1&PatientName=Doe*&PatientBirthDate=19700101-')), undefined);
});

test('the archive query keeps the other keys, replaces the identity and asks for every result', (t) => {
  const query = study('PatientID=E1&IssuerOfPatientID=EHR-A&StudyDate=20240101-&limit=5&offset=2');
  const archive = queryForArchiveIdentity(query, { id: 'P1', issuer: 'HOSP' });
  t.deepEqual(archive.filters.map((f) => [f.path[0]!.keyword, f.value]), [['StudyDate', '20240101-'], ['PatientID', 'P1'], ['IssuerOfPatientID', 'HOSP']]);
  t.is(archive.limit, undefined);
  t.is(archive.offset, 0);
  const plan = planUpstream(queryForArchiveIdentity(query, { id: 'P1' }), 1000, 5000);
  t.regex(plan.query, /^00080020=20240101-&00100020=P1&includefield=/);
  t.regex(plan.query, /includefield=[0-9A-F,]*00081030/);
});

test('screening asks for the studies of the identity within the path\'s study', (t) => {
  const scoped = studiesOfArchiveIdentity(study('PatientID=E1&IssuerOfPatientID=EHR-A', '1.2.3'), { id: 'P1' });
  t.is(scoped.level, 'study');
  t.deepEqual(scoped.filters.map((f) => [f.path[0]!.keyword, f.value]), [['PatientID', 'P1'], ['StudyInstanceUID', '1.2.3']]);
});
