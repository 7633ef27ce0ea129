/**
 * The identity links REST API against a real Orthanc: create, read, list,
 * delete; bulk import from CSV and JSON (all or nothing, per-row errors);
 * links of merged records; links surviving a gateway restart on the same state.
 */
import anyTest, { type TestFn } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const series = (uid: string) => [{ modality: 'MR' as const, instances: 1, seriesInstanceUid: `${uid}.1` }];
const STUDY_GREEN_1 = '2.25.7101';
const STUDY_GREEN_2 = '2.25.7102';
const STUDY_WHITE = '2.25.7103';
const STUDIES: StudySpec[] = [
  // One person, two archive records (merged in the EHR): no issuer in this archive.
  { patientName: 'Green^Robert', patientId: 'PACS-300', birthDate: '19600606', sex: 'M', studyDate: '20230101', studyInstanceUid: STUDY_GREEN_1, series: series(STUDY_GREEN_1) },
  { patientName: 'GREEN^ROBERT^J', patientId: 'PACS-301', birthDate: '19600606', sex: 'M', studyDate: '20230505', studyInstanceUid: STUDY_GREEN_2, series: series(STUDY_GREEN_2) },
  { patientName: 'White^Eve', patientId: 'PACS-400', issuerOfPatientId: 'HOSP-B', birthDate: '19751212', sex: 'F', studyDate: '20220202', studyInstanceUid: STUDY_WHITE, series: series(STUDY_WHITE) },
];

const fixture = useOrthanc(anyTest, STUDIES);
const IDENTITY = { identity: { ehrIssuers: ['EHR-A', 'EHR-B'] } };

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, IDENTITY);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

type Row = Record<string, { Value?: unknown[] }>;

async function call(url: string, method: 'GET' | 'POST' | 'DELETE' | 'PUT' = 'GET', body?: unknown, contentType = 'application/json') {
  const payload = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await request(url, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: payload });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T = Record<string, unknown>>() => JSON.parse(text) as T };
}

const studyUids = (rows: Row[]) => rows.map((r) => r['0020000D']?.Value?.[0]).sort();
const LINK = { ehrId: 'E-400', ehrIssuer: 'EHR-B', patientId: 'PACS-400', issuerOfPatientId: 'HOSP-B', name: 'White, Eve', birthDate: '19751212', sex: 'F' };

interface LinkView { id: string; ehr: { id: string; issuer: string }; pacs: { patientId: string; issuer: string }; demographics?: Record<string, string>; createdBy: string; source: string; createdAt: string }

test('create (201 + Location), read, list with filters, create again (200, same link), delete (204), then the identity has no link', async (t) => {
  const { gw } = t.context;
  const created = await call(`${gw.origin}/api/identity/links`, 'POST', LINK);
  t.is(created.status, 201);
  const link = created.json<LinkView>();
  t.is(created.headers.location, `/api/identity/links/${link.id}`);
  t.like(link, { ehr: { id: 'E-400', issuer: 'EHR-B' }, pacs: { patientId: 'PACS-400', issuer: 'HOSP-B' }, demographics: { name: 'White, Eve', birthDate: '19751212', sex: 'F' }, createdBy: 'anonymous', source: 'api' });
  t.deepEqual((await call(`${gw.origin}${created.headers.location as string}`)).json(), link);
  const again = await call(`${gw.origin}/api/identity/links`, 'POST', LINK);
  t.is(again.status, 200);
  t.is(again.json<LinkView>().id, link.id);
  const listed = (await call(`${gw.origin}/api/identity/links?ehrId=E-400&ehrIssuer=EHR-B`)).json<{ links: LinkView[]; total: number; limit: number }>();
  t.like(listed, { total: 1, limit: 100 });
  t.is((await call(`${gw.origin}/api/identity/links?patientId=NOBODY`)).json<{ total: number }>().total, 0);
  const qido = await call(`${gw.url}/studies?PatientID=E-400&IssuerOfPatientID=EHR-B`);
  t.deepEqual(studyUids(qido.json<Row[]>()), [STUDY_WHITE]);
  t.is((await call(`${gw.origin}/api/identity/links/${link.id}`, 'DELETE')).status, 204);
  t.is((await call(`${gw.origin}/api/identity/links/${link.id}`)).status, 404);
  t.is((await call(`${gw.origin}/api/identity/links/${link.id}`, 'DELETE')).status, 404);
  const unlinked = await call(`${gw.url}/studies?PatientID=E-400&IssuerOfPatientID=EHR-B`);
  t.is(unlinked.status, 204, 'a deleted link is not served from any cache');
  t.regex(String(unlinked.headers.warning), /has no link to an archive patient/);
});

test('bad input is a 400 problem naming the field; other media types 415; unsupported methods 405', async (t) => {
  const { gw } = t.context;
  const unknownIssuer = await call(`${gw.origin}/api/identity/links`, 'POST', { ...LINK, ehrIssuer: 'EHR-Z' });
  t.is(unknownIssuer.status, 400);
  t.is(unknownIssuer.headers['content-type'], 'application/problem+json');
  t.like(unknownIssuer.json(), { code: 'IDENTITY_LINK_INVALID', parameter: 'ehrIssuer' });
  const several = (await call(`${gw.origin}/api/identity/links`, 'POST', { ehrId: 'E-1', ehrIssuer: 'EHR-A', birthDate: '19991399' })).json<{ errors: Array<{ field: string }> }>();
  t.deepEqual(several.errors.map((e) => e.field), ['patientId', 'birthDate']);
  t.like((await call(`${gw.origin}/api/identity/links`, 'POST', '{"ehrId":', 'application/json')).json(), { code: 'INVALID_JSON', parameter: 'body' });
  t.is((await call(`${gw.origin}/api/identity/links`, 'POST', 'ehrId=1', 'application/x-www-form-urlencoded')).status, 415);
  t.like((await call(`${gw.origin}/api/identity/links?limit=0`)).json(), { parameter: 'limit' });
  t.like((await call(`${gw.origin}/api/identity/links?colour=red`)).json(), { code: 'UNKNOWN_PARAMETER', parameter: 'colour' });
  t.like((await call(`${gw.origin}/api/reconciliation?status=closed`)).json(), { parameter: 'status' });
  const put = await call(`${gw.origin}/api/identity/links`, 'PUT', LINK);
  t.is(put.status, 405);
  t.is(put.headers.allow, 'GET, POST');
  t.is((await call(`${gw.origin}/api/reconciliation/00000000-0000-4000-8000-000000000000`)).status, 404);
});

test('CSV import creates the links of a merged record; the EHR identity then finds both archive records; re-import counts existing', async (t) => {
  const { gw } = t.context;
  const csv = 'ehrId,ehrIssuer,patientId,issuerOfPatientId,name,birthDate,sex\r\nE-300,EHR-A,PACS-300,,Green^Robert,19600606,M\r\n"E-300",EHR-A,PACS-301,,"Green^Robert",1960-06-06,m\r\n';
  const imported = await call(`${gw.origin}/api/identity/links/import`, 'POST', csv, 'text/csv; charset=utf-8');
  t.is(imported.status, 200);
  t.deepEqual(imported.json(), { created: 2, existing: 0 });
  const links = (await call(`${gw.origin}/api/identity/links?ehrId=E-300`)).json<{ links: LinkView[] }>().links;
  t.deepEqual(links.map((l) => [l.pacs.patientId, l.source]), [['PACS-300', 'import'], ['PACS-301', 'import']]);
  const res = await call(`${gw.url}/studies?PatientID=E-300&IssuerOfPatientID=EHR-A`);
  t.is(res.status, 200);
  const rows = res.json<Row[]>();
  t.deepEqual(studyUids(rows), [STUDY_GREEN_1, STUDY_GREEN_2]);
  t.true(rows.every((r) => (r['00101002']?.Value?.[0] as Row)['00100020']?.Value?.[0] === 'E-300'));
  t.is(res.headers.warning, undefined, 'GREEN^ROBERT^J agrees with Green^Robert');
  const paged = await call(`${gw.url}/studies?PatientID=E-300&IssuerOfPatientID=EHR-A&limit=1&offset=1`);
  t.is(paged.json<Row[]>().length, 1);
  t.is(paged.headers.warning, undefined, 'the second of two is the last page');
  t.deepEqual((await call(`${gw.origin}/api/identity/links/import`, 'POST', csv, 'text/csv')).json(), { created: 0, existing: 2 });
});

test('JSON import is all or nothing: one bad row is a 400 listing row and field, and nothing is stored', async (t) => {
  const { gw } = t.context;
  const rows = [
    { ehrId: 'E-500', ehrIssuer: 'EHR-A', patientId: 'PACS-300' },
    { ehrId: 'E-501', ehrIssuer: 'EHR-A', patientId: 'PACS-3*' },
    { ehrId: 'E-502', ehrIssuer: 'EHR-A', patientId: 'PACS-301', sex: 'X' },
  ];
  const rejected = await call(`${gw.origin}/api/identity/links/import`, 'POST', rows);
  t.is(rejected.status, 400);
  const problem = rejected.json<{ code: string; errorCount: number; errors: Array<{ row: number; field: string; message: string }> }>();
  t.is(problem.code, 'IDENTITY_IMPORT_INVALID');
  t.is(problem.errorCount, 2);
  t.deepEqual(problem.errors.map((e) => [e.row, e.field]), [[2, 'patientId'], [3, 'sex']]);
  t.is((await call(`${gw.origin}/api/identity/links`)).json<{ total: number }>().total, 0);
  const fixed = await call(`${gw.origin}/api/identity/links/import`, 'POST', [rows[0], { ...rows[1], patientId: 'PACS-301' }]);
  t.deepEqual(fixed.json(), { created: 2, existing: 0 });
  const badCsv = await call(`${gw.origin}/api/identity/links/import`, 'POST', 'ehrId,ehrIssuer,patientId\nE-600,EHR-A,\n', 'text/csv');
  t.deepEqual(badCsv.json<{ errors: unknown[] }>().errors, [{ row: 1, field: 'patientId', message: 'patientId is required' }]);
  t.is((await call(`${gw.origin}/api/identity/links/import`, 'POST', 'x', 'text/plain')).status, 415);
});

test('links survive a gateway restart on the same state directory', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-identity-restart-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startGateway(fixture().orthanc.dicomWebUrl, { ...IDENTITY, state: { dir } });
  let id: string;
  try {
    id = (await call(`${first.origin}/api/identity/links`, 'POST', LINK)).json<LinkView>().id;
  } finally {
    await first.close();
  }
  const second = await startGateway(fixture().orthanc.dicomWebUrl, { ...IDENTITY, state: { dir } });
  try {
    t.is((await call(`${second.origin}/api/identity/links/${id}`)).status, 200);
    const res = await call(`${second.url}/studies?PatientID=E-400&IssuerOfPatientID=EHR-B`);
    t.deepEqual(studyUids(res.json<Row[]>()), [STUDY_WHITE]);
  } finally {
    await second.close();
  }
});
