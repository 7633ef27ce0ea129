/**
 * Patient identity cross-reference end to end against a real Orthanc:
 * QIDO-RS by EHR identity through links, demographic screening, the
 * reconciliation items and their actions (link, reject, resolve) changing the
 * next answer, unlinked identities, FHIR subject:identifier, metrics, audit.
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const series = (uid: string) => [{ modality: 'CT' as const, instances: 1, seriesInstanceUid: `${uid}.1` }];
const STUDY_SMITH = '2.25.7001';
const STUDY_DOE = '2.25.7002';
const STUDY_BROWN = '2.25.7003';
const STUDIES: StudySpec[] = [
  { patientName: 'Smith^John', patientId: 'PACS-100', issuerOfPatientId: 'HOSP-A', birthDate: '19700101', sex: 'M', studyDate: '20240101', studyInstanceUid: STUDY_SMITH, series: series(STUDY_SMITH) },
  // Filed under the same PatientID by mistake: another person.
  { patientName: 'Doe^Jane', patientId: 'PACS-100', issuerOfPatientId: 'HOSP-A', birthDate: '19850505', sex: 'F', studyDate: '20240202', studyInstanceUid: STUDY_DOE, series: series(STUDY_DOE) },
  // The archive uses the EHR's number under its own issuer: a candidate for EHR id E-200.
  { patientName: 'Brown^Alice', patientId: 'E-200', issuerOfPatientId: 'HOSP-A', birthDate: '19900215', sex: 'F', studyDate: '20240303', studyInstanceUid: STUDY_BROWN, series: series(STUDY_BROWN) },
];

const fixture = useOrthanc(anyTest, STUDIES);

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, { identity: { ehrIssuers: ['EHR-A'] } });
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

type Row = Record<string, { vr?: string; Value?: unknown[] }>;

async function call(url: string, method: 'GET' | 'POST' | 'DELETE' = 'GET', body?: unknown) {
  const res = await request(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? null : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: <T = Record<string, unknown>>() => JSON.parse(text) as T };
}

const studyUids = (rows: Row[]) => rows.map((r) => r['0020000D']?.Value?.[0]).sort();
const warningOf = (headers: Record<string, unknown>) => String(headers.warning ?? '');

async function linkSmith(gw: RunningGateway): Promise<string> {
  const created = await call(`${gw.origin}/api/identity/links`, 'POST', { ehrId: 'E-100', ehrIssuer: 'EHR-A', patientId: 'PACS-100', issuerOfPatientId: 'HOSP-A', name: 'SMITH^JOHN', birthDate: '1970-01-01', sex: 'M' });
  if (created.status !== 201) throw new Error(`link not created: ${created.status} ${created.text}`);
  return created.json<{ id: string }>().id;
}

interface Item { id: string; reason: string; status: string; score?: number; study?: { studyInstanceUid: string }; candidates: Array<{ patientId: string; issuerOfPatientId: string; score?: number; foundBy: string[] }>; actions?: Record<string, string>; decision?: { action: string; by: string; at: string } }

async function openItems(gw: RunningGateway): Promise<Item[]> {
  return (await call(`${gw.origin}/api/reconciliation`)).json<{ items: Item[] }>().items;
}

test('link, then QIDO by EHR identity returns the linked study with the EHR id in OtherPatientIDsSequence; the mismatch is held once', async (t) => {
  const { gw } = t.context;
  await linkSmith(gw);
  const res = await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.is(res.status, 200);
  const rows = res.json<Row[]>();
  t.deepEqual(studyUids(rows), [STUDY_SMITH]);
  t.deepEqual(rows[0]!['00100020']?.Value, ['PACS-100'], 'the archive identity stays PatientID');
  t.deepEqual(rows[0]!['00101002'], { vr: 'SQ', Value: [{ '00100020': { vr: 'LO', Value: ['E-100'] }, '00100021': { vr: 'LO', Value: ['EHR-A'] }, '00100022': { vr: 'CS', Value: ['TEXT'] } }] });
  t.regex(warningOf(res.headers), /^299 dicomweb-gateway "1 study awaits reconciliation/);
  const items = await openItems(gw);
  t.is(items.length, 1);
  const [item] = items as [Item];
  t.is(item.reason, 'DEMOGRAPHICS_MISMATCH');
  t.is(item.study?.studyInstanceUid, STUDY_DOE);
  t.true(warningOf(res.headers).includes(item.id));
  t.is(item.score, 0);
  t.deepEqual(item.candidates.map((c) => [c.patientId, c.issuerOfPatientId, c.score, c.foundBy]), [['PACS-100', 'HOSP-A', 0, ['study']]]);
  t.deepEqual(Object.keys(item.actions ?? {}), ['link', 'reject', 'resolve']);
  const again = await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.deepEqual(studyUids(again.json<Row[]>()), [STUDY_SMITH]);
  t.is((await openItems(gw)).length, 1, 'a repeated query does not raise the study again');
  const plain = await call(`${gw.url}/studies?PatientID=PACS-100`);
  t.deepEqual(studyUids(plain.json<Row[]>()), [STUDY_SMITH, STUDY_DOE], 'archive-identity searches are unchanged');
});

test('resolve accepts the held study for the link from the next query on; the decision records who and when', async (t) => {
  const { gw } = t.context;
  await linkSmith(gw);
  await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  const [item] = (await openItems(gw)) as [Item];
  const missingNote = await call(`${gw.origin}/api/reconciliation/${item.id}/resolve`, 'POST', {});
  t.is(missingNote.status, 400);
  t.is(missingNote.json().parameter, 'note');
  const resolved = await call(`${gw.origin}/api/reconciliation/${item.id}/resolve`, 'POST', { note: 'Same patient; name changed after marriage' });
  t.is(resolved.status, 200);
  const decided = resolved.json<Item>();
  t.is(decided.status, 'resolved');
  t.like(decided.decision, { action: 'resolve', by: 'anonymous' });
  t.false('actions' in decided);
  const res = await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.deepEqual(studyUids(res.json<Row[]>()), [STUDY_SMITH, STUDY_DOE]);
  t.is(res.headers.warning, undefined);
  t.is((await call(`${gw.origin}/api/reconciliation/${item.id}/reject`, 'POST', {})).status, 409, 'a decided item takes no second decision');
  const listed = (await call(`${gw.origin}/api/reconciliation?status=resolved`)).json<{ items: Item[]; total: number }>();
  t.is(listed.total, 1);
});

test('reject leaves the study out for that EHR identity and it is not raised again', async (t) => {
  const { gw } = t.context;
  await linkSmith(gw);
  await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  const [item] = (await openItems(gw)) as [Item];
  const rejected = await call(`${gw.origin}/api/reconciliation/${item.id}/reject`, 'POST', { note: 'Not this patient' });
  t.is(rejected.status, 200);
  t.is(rejected.json<Item>().status, 'rejected');
  const res = await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.deepEqual(studyUids(res.json<Row[]>()), [STUDY_SMITH]);
  t.regex(warningOf(res.headers), /1 study is left out: a reconciliation decision/);
  t.notRegex(warningOf(res.headers), /awaits/);
  t.deepEqual(await openItems(gw), []);
});

test('link on a mismatch item confirms the study\'s own patient: the study is accepted', async (t) => {
  const { gw } = t.context;
  await linkSmith(gw);
  await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  const [item] = (await openItems(gw)) as [Item];
  const linked = await call(`${gw.origin}/api/reconciliation/${item.id}/link`, 'POST', { patientId: 'PACS-100', issuerOfPatientId: 'HOSP-A' });
  t.is(linked.status, 200);
  t.is(linked.json<Item>().status, 'linked');
  const res = await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.deepEqual(studyUids(res.json<Row[]>()), [STUDY_SMITH, STUDY_DOE]);
  t.is((await call(`${gw.origin}/api/identity/links?ehrId=E-100`)).json<{ total: number }>().total, 1, 'the existing link was confirmed, not duplicated');
});

test('an unlinked EHR identity answers 204 with a Warning naming its NO_LINK item; linking a scored candidate makes the next QIDO return the study', async (t) => {
  const { gw } = t.context;
  const res = await call(`${gw.url}/studies?PatientID=E-200&IssuerOfPatientID=EHR-A&PatientName=Brown^Alice&PatientBirthDate=19900215`);
  t.is(res.status, 204);
  const warning = warningOf(res.headers);
  t.regex(warning, /^299 dicomweb-gateway "The EHR identity \(IssuerOfPatientID EHR-A\) has no link to an archive patient; reconciliation item [0-9a-f-]{36} \(open\)/);
  const id = /reconciliation item ([0-9a-f-]{36})/.exec(warning)![1]!;
  const item = (await call(`${gw.origin}/api/reconciliation/${id}`)).json<Item>();
  t.is(item.reason, 'NO_LINK');
  t.is(item.status, 'open');
  t.deepEqual(item.candidates.map((c) => [c.patientId, c.issuerOfPatientId, c.score]), [['E-200', 'HOSP-A', 1]]);
  t.deepEqual(item.candidates[0]!.foundBy.sort(), ['demographics', 'patientId']);
  t.is(warningOf((await call(`${gw.url}/studies?PatientID=E-200&IssuerOfPatientID=EHR-A`)).headers).includes(id), true, 'the open item is reused');
  const badLink = await call(`${gw.origin}/api/reconciliation/${id}/link`, 'POST', { issuerOfPatientId: 'HOSP-A' });
  t.is(badLink.status, 400);
  t.is(badLink.json().parameter, 'patientId');
  const linked = await call(`${gw.origin}/api/reconciliation/${id}/link`, 'POST', { patientId: 'E-200', issuerOfPatientId: 'HOSP-A' });
  t.is(linked.status, 200);
  t.like(linked.json<{ link: { ehr: unknown; source: string; demographics: unknown } }>().link, { ehr: { id: 'E-200', issuer: 'EHR-A' }, source: 'reconciliation', demographics: { name: 'Brown^Alice', birthDate: '19900215' } });
  const after = await call(`${gw.url}/studies?PatientID=E-200&IssuerOfPatientID=EHR-A`);
  t.is(after.status, 200);
  const rows = after.json<Row[]>();
  t.deepEqual(studyUids(rows), [STUDY_BROWN]);
  t.deepEqual((rows[0]!['00101002']?.Value?.[0] as Row)['00100020']?.Value, ['E-200']);
});

test('series and instance searches by EHR identity list only kept studies; study-scoped ones too', async (t) => {
  const { gw } = t.context;
  await linkSmith(gw);
  const seriesRes = await call(`${gw.url}/series?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.is(seriesRes.status, 200);
  const seriesRows = seriesRes.json<Row[]>();
  t.deepEqual(seriesRows.map((r) => r['0020000E']?.Value?.[0]), [`${STUDY_SMITH}.1`]);
  t.truthy(seriesRows[0]!['00101002']);
  t.regex(warningOf(seriesRes.headers), /1 study awaits reconciliation/);
  const instances = await call(`${gw.url}/instances?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.deepEqual(studyUids(instances.json<Row[]>()), [STUDY_SMITH]);
  const scopedHeld = await call(`${gw.url}/studies/${STUDY_DOE}/series?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  t.is(scopedHeld.status, 204);
  t.is((await openItems(gw)).length, 1);
});

test('bad EHR searches are 400 naming PatientID; FHIR subject:identifier resolves through the links', async (t) => {
  const { gw } = t.context;
  const wildcard = await call(`${gw.url}/studies?PatientID=E-*&IssuerOfPatientID=EHR-A`);
  t.is(wildcard.status, 400);
  t.like(wildcard.json(), { code: 'IDENTITY_EHR_NEEDS_PATIENT_ID', parameter: 'PatientID' });
  await linkSmith(gw);
  const fhir = await call(`${gw.origin}/fhir/ImagingStudy?subject:identifier=EHR-A|E-100`);
  t.is(fhir.status, 200);
  const bundle = fhir.json<{ entry?: Array<{ resource: { id: string } }> }>();
  t.deepEqual(bundle.entry?.map((e) => e.resource.id), [STUDY_SMITH]);
});

test('metrics count links, items by status and reason, held studies; /status summarizes; every action is audited', async (t) => {
  const { gw } = t.context;
  const linkId = await linkSmith(gw);
  await call(`${gw.url}/studies?PatientID=E-100&IssuerOfPatientID=EHR-A`);
  const [item] = (await openItems(gw)) as [Item];
  await call(`${gw.origin}/api/reconciliation/${item.id}/resolve`, 'POST', { note: 'checked with the ward' });
  const metrics = (await call(`${gw.origin}/metrics`)).text;
  t.regex(metrics, /^gateway_identity_links 1$/m);
  t.regex(metrics, /^gateway_identity_reconciliation_items\{status="resolved",reason="DEMOGRAPHICS_MISMATCH"\} 1$/m);
  t.regex(metrics, /^gateway_identity_reconciliation_items\{status="open",reason="DEMOGRAPHICS_MISMATCH"\} 0$/m);
  t.regex(metrics, /^gateway_identity_studies_held_total 1$/m);
  t.regex(metrics, /^gateway_identity_reconciliation_actions_total\{action="resolve"\} 1$/m);
  const status = (await call(`${gw.origin}/status`)).json<{ caches: { identity: { links: number; ehrIssuers: string[]; reconciliation: Record<string, Record<string, number>> } } }>();
  t.like(status.caches.identity, { links: 1, ehrIssuers: ['EHR-A'], reconciliation: { resolved: { DEMOGRAPHICS_MISMATCH: 1 } } });
  const audit = (await call(`${gw.origin}/admin/audit?type=Patient%20Record`)).json<{ events: Array<{ action: string; user: { id: string }; studies?: string[]; patients?: Array<{ id: string }>; detail?: Record<string, unknown> }> }>();
  const created = audit.events.find((e) => e.detail?.action === 'link.create');
  t.like(created, { action: 'C', user: { id: 'anonymous' }, detail: { link: linkId } });
  t.deepEqual(created?.patients?.map((p) => p.id).sort(), ['E-100', 'PACS-100']);
  const resolved = audit.events.find((e) => e.detail?.action === 'reconciliation.resolve');
  t.like(resolved, { action: 'C', detail: { item: item.id }, studies: [STUDY_DOE] });
});

test('a caller that searches many unlinked EHR ids opens at most identity.maxNoLinkItemsPerCallerPerHour items; the search still answers', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { identity: { ehrIssuers: ['EHR-A'], maxNoLinkItemsPerCallerPerHour: 2 } });
  t.teardown(() => gw.close());
  const search = (id: string) => call(`${gw.url}/studies?PatientID=${id}&IssuerOfPatientID=EHR-A`);
  for (const id of ['E-901', 'E-902']) t.regex(warningOf((await search(id)).headers), /reconciliation item [0-9a-f-]+ \(open\)/);
  const third = await search('E-903');
  t.is(third.status, 204);
  t.regex(warningOf(third.headers), /not added to the reconciliation list: this caller asked for more unlinked EHR identities than identity\.maxNoLinkItemsPerCallerPerHour \(2\)/);
  t.is((await openItems(gw)).filter((i) => i.reason === 'NO_LINK').length, 2);
  const metrics = await call(`${gw.origin}/metrics`);
  t.regex(metrics.text, /gateway_identity_reconciliation_refused_total\{reason="NO_LINK"\} 1/);
});
