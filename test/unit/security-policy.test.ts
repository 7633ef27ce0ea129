/**
 * The policy engine (src/security/policy.ts, glob.ts, route-kind.ts): roles per
 * transaction, patient / issuer / study restrictions, STOW refusals.
 */
import test from 'ava';
import { globMatches } from '../../src/security/glob.js';
import { mayAccessPatient, mayAccessStudy, requiredRole, storeRefusal } from '../../src/security/policy.js';
import { classifyRequest } from '../../src/security/route-kind.js';

test('glob patterns: exact, * and ?, anchored at both ends', (t) => {
  t.true(globMatches('MRN-123', 'MRN-123'));
  t.false(globMatches('MRN-123', 'MRN-1234'));
  t.true(globMatches('MRN-*', 'MRN-1234'));
  t.true(globMatches('MRN-*', 'MRN-'));
  t.true(globMatches('*-12?4', 'MRN-1234'));
  t.false(globMatches('*-12?4', 'MRN-12345'));
  t.true(globMatches('*', ''));
  t.false(globMatches('', 'x'));
  t.true(globMatches('a*b*c', 'axxbyyc'));
  t.false(globMatches('a*b*c', 'axxbyy'));
  // A pattern that makes backtracking regexes explode stays linear here.
  t.false(globMatches(`${'*a'.repeat(30)}b`, 'a'.repeat(5000)));
});

test('roles: read for QIDO/WADO, write for STOW, admin for operations, none for unknown paths', (t) => {
  const role = (method: string, path: string) => requiredRole(classifyRequest(method, path, '/dicom-web'));
  t.is(role('GET', '/dicom-web/studies'), 'read');
  t.is(role('GET', '/dicom-web/studies/1.2/series/3.4/instances/5.6/frames/1,2'), 'read');
  t.is(role('GET', '/dicom-web/studies/1.2/metadata'), 'read');
  t.is(role('GET', '/dicom-web/studies/1.2/rendered'), 'read');
  t.is(role('POST', '/dicom-web/studies'), 'write');
  t.is(role('POST', '/dicom-web/studies/1.2'), 'write');
  t.is(role('GET', '/status'), 'admin');
  t.is(role('GET', '/metrics'), 'admin');
  t.is(role('GET', '/admin/audit'), 'admin');
  t.is(role('GET', '/nowhere'), undefined);
  t.is(classifyRequest('GET', '/healthz', '/dicom-web'), 'probe');
  t.is(classifyRequest('OPTIONS', '/dicom-web/studies', '/dicom-web'), 'preflight');
  t.is(classifyRequest('GET', '/dicom-web/studies/1.2/series/3.4/instances/5.6/bulk/7fe00010', '/dicom-web'), 'bulk');
});

test('no restriction sees everything', (t) => {
  t.true(mayAccessPatient(undefined, {}));
  t.true(mayAccessStudy(undefined, { studyUid: '1.2', patients: [] }));
});

test('patient restriction: listed IDs and patterns only; an empty list sees nothing', (t) => {
  const r = { patientIds: ['P1', 'MRN-9*'] };
  t.true(mayAccessPatient(r, { id: 'P1' }));
  t.true(mayAccessPatient(r, { id: 'MRN-900' }));
  t.false(mayAccessPatient(r, { id: 'P2' }));
  t.false(mayAccessPatient(r, {}), 'a row without PatientID is not visible');
  t.false(mayAccessPatient({ patientIds: [] }, { id: 'P1' }));
});

test('issuer restriction qualifies the PatientID', (t) => {
  const r = { patientIds: ['P1'], issuers: ['HOSP-A'] };
  t.true(mayAccessPatient(r, { id: 'P1', issuer: 'HOSP-A' }));
  t.false(mayAccessPatient(r, { id: 'P1', issuer: 'HOSP-B' }), 'same PatientID, other hospital');
  t.false(mayAccessPatient(r, { id: 'P1' }), 'no issuer is not HOSP-A');
  t.true(mayAccessPatient({ issuers: ['HOSP-A'] }, { id: 'anything', issuer: 'HOSP-A' }));
});

test('study access: UID list and patients must both hold; unknown patients are not visible', (t) => {
  t.true(mayAccessStudy({ studies: ['1.2'] }, { studyUid: '1.2', patients: [] }));
  t.false(mayAccessStudy({ studies: ['1.2'] }, { studyUid: '1.3', patients: [] }));
  t.true(mayAccessStudy({ patientIds: ['P1'] }, { studyUid: '1.2', patients: [{ id: 'P1' }] }));
  t.false(mayAccessStudy({ patientIds: ['P1'] }, { studyUid: '1.2', patients: [] }));
  t.false(mayAccessStudy({ patientIds: ['P1'] }, { studyUid: '1.2', patients: [{ id: 'P1' }, { id: 'P2' }] }), 'a study held under two patients needs both');
  t.false(mayAccessStudy({ patientIds: ['P1'], studies: ['1.3'] }, { studyUid: '1.2', patients: [{ id: 'P1' }] }), 'intersection, not union');
});

test('store refusals: own patient into a new or own study; never into another patient\'s study', (t) => {
  const r = { patientIds: ['P1'] };
  t.is(storeRefusal(undefined, { studyUid: '1.2', patient: { id: 'P9' }, existingPatients: [{ id: 'P8' }] }), undefined);
  t.is(storeRefusal(r, { studyUid: '1.2', patient: { id: 'P1' }, existingPatients: [] }), undefined);
  t.is(storeRefusal(r, { studyUid: '1.2', patient: { id: 'P1' }, existingPatients: [{ id: 'P1' }] }), undefined);
  t.regex(storeRefusal(r, { studyUid: '1.2', patient: { id: 'P2' }, existingPatients: [] }) ?? '', /patient/);
  t.regex(storeRefusal(r, { studyUid: '1.2', patient: { id: 'P1' }, existingPatients: [{ id: 'P2' }] }) ?? '', /exists in the archive under a patient/);
  t.regex(storeRefusal({ studies: ['1.3'] }, { studyUid: '1.2', patient: { id: 'P1' }, existingPatients: [] }) ?? '', /study 1\.2/);
});
