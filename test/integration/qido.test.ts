/**
 * QIDO-RS through the gateway against a real Orthanc (PS3.18 §10.6).
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const STUDIES: StudySpec[] = [
  {
    patientName: 'Müller^Jürgen', patientId: 'QIDO-001', birthDate: '19610203', sex: 'M', studyDate: '20190314', studyTime: '101500',
    accessionNumber: 'ACC-QIDO-1', studyDescription: 'CT CHEST', referringPhysician: 'House^Gregory', studyInstanceUid: '2.25.1001',
    series: [{ modality: 'CT', instances: 3, seriesInstanceUid: '2.25.1001.1', seriesNumber: 1 }, { modality: 'CT', instances: 2, seriesInstanceUid: '2.25.1001.2', seriesNumber: 2 }],
  },
  {
    patientName: 'Müller^Jürgen', patientId: 'QIDO-001', birthDate: '19610203', sex: 'M', studyDate: '20210601', studyTime: '083000',
    accessionNumber: 'ACC-QIDO-2', studyDescription: 'MR BRAIN', studyInstanceUid: '2.25.1002',
    series: [{ modality: 'MR', instances: 2, seriesInstanceUid: '2.25.1002.1' }],
  },
  {
    patientName: 'Smith^Anna', patientId: 'QIDO-002', birthDate: '19800101', sex: 'F', studyDate: '20220110',
    accessionNumber: 'ACC-QIDO-3', studyDescription: 'CT ABDOMEN', studyInstanceUid: '2.25.1003',
    series: [{ modality: 'CT', instances: 1, seriesInstanceUid: '2.25.1003.1' }],
  },
];

const fixture = useOrthanc(anyTest, STUDIES);

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as Array<Record<string, { Value?: unknown[] }>> };
}

const uids = (rows: Array<Record<string, { Value?: unknown[] }>>, tag = '0020000D') => rows.map((r) => r[tag]?.Value?.[0]).sort();

test('study search by PatientID returns the patient\'s studies with gateway RetrieveURLs', async (t) => {
  const { url } = t.context.gw;
  const res = await get(`${url}/studies?PatientID=QIDO-001`);
  t.is(res.status, 200);
  t.is(res.headers['content-type'], 'application/dicom+json');
  const rows = res.json();
  t.deepEqual(uids(rows), ['2.25.1001', '2.25.1002']);
  for (const row of rows) t.true(String(row['00081190']?.Value?.[0]).startsWith(`${url}/studies/`));
  t.false(res.text.includes(fixture().orthanc.dicomWebUrl));
  const counts = rows.find((r) => r['0020000D']?.Value?.[0] === '2.25.1001');
  t.deepEqual(counts?.['00201208']?.Value, [5]);
  t.deepEqual(counts?.['00201206']?.Value, [2]);
});

test('no match gives 204, also for an unknown study in the path', async (t) => {
  const { url } = t.context.gw;
  t.is((await get(`${url}/studies?PatientID=NOBODY`)).status, 204);
  t.is((await get(`${url}/studies/2.25.999999/series`)).status, 204);
});

test('percent-encoded wildcard and non-ASCII names are matched', async (t) => {
  const { url } = t.context.gw;
  t.deepEqual(uids((await get(`${url}/studies?PatientID=QIDO-00%2A`)).json()), ['2.25.1001', '2.25.1002', '2.25.1003']);
  const name = encodeURIComponent('Müller^Jürgen');
  t.deepEqual(uids((await get(`${url}/studies?PatientName=${name}`)).json()), ['2.25.1001', '2.25.1002']);
});

test('fuzzy matching is case- and accent-insensitive', async (t) => {
  const { url } = t.context.gw;
  const res = await get(`${url}/studies?PatientName=muller&fuzzymatching=true`);
  t.is(res.status, 200);
  t.deepEqual(uids(res.json()), ['2.25.1001', '2.25.1002']);
  t.is((await get(`${url}/studies?PatientName=muller`)).status, 204);
});

test('date ranges, UID lists and tag keys', async (t) => {
  const { url } = t.context.gw;
  t.deepEqual(uids((await get(`${url}/studies?StudyDate=20200101-&PatientID=QIDO-*`)).json()), ['2.25.1002', '2.25.1003']);
  t.deepEqual(uids((await get(`${url}/studies?StudyInstanceUID=2.25.1001,2.25.1003`)).json()), ['2.25.1001', '2.25.1003']);
  t.deepEqual(uids((await get(`${url}/studies?00100020=QIDO-002`)).json()), ['2.25.1003']);
});

test('limit and offset page the results with a Warning when cut', async (t) => {
  const { url } = t.context.gw;
  const first = await get(`${url}/studies?PatientID=QIDO-*&limit=2`);
  t.is(first.json().length, 2);
  t.regex(String(first.headers.warning), /^299 /);
  const rest = await get(`${url}/studies?PatientID=QIDO-*&limit=2&offset=2`);
  t.is(rest.json().length, 1);
  t.is(rest.headers.warning, undefined);
  const all = [...uids(first.json()), ...uids(rest.json())].sort();
  t.deepEqual(all, ['2.25.1001', '2.25.1002', '2.25.1003']);
});

test('a configured maximum cuts with a Warning too', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { qido: { maxResults: 1 } });
  try {
    const res = await get(`${gw.url}/studies?PatientID=QIDO-*`);
    t.is(res.json().length, 1);
    t.regex(String(res.headers.warning), /299/);
  } finally {
    await gw.close();
  }
});

test('includefield=all and named fields return study attributes Orthanc omits by default', async (t) => {
  const { url } = t.context.gw;
  const all = (await get(`${url}/studies?PatientID=QIDO-002&includefield=all`)).json()[0]!;
  t.deepEqual(all['00081030']?.Value, ['CT ABDOMEN']);
  const named = (await get(`${url}/studies?PatientID=QIDO-002&includefield=StudyDescription`)).json()[0]!;
  t.deepEqual(named['00081030']?.Value, ['CT ABDOMEN']);
});

test('series and instance levels carry their required attributes', async (t) => {
  const { url } = t.context.gw;
  const series = (await get(`${url}/studies/2.25.1001/series`)).json();
  t.deepEqual(uids(series, '0020000E'), ['2.25.1001.1', '2.25.1001.2']);
  for (const tag of ['00080060', '0008103E', '00200011', '00201209', '00400244', '00400245', '00400275', '00081190']) t.true(tag in series[0]!, tag);
  t.is(String(series[0]!['00081190']?.Value?.[0]).split('/series/')[0], `${url}/studies/2.25.1001`);
  const instances = (await get(`${url}/studies/2.25.1001/series/2.25.1001.1/instances`)).json();
  t.is(instances.length, 3);
  for (const tag of ['00080016', '00080018', '00080056', '00200013', '00280010', '00280011', '00280100', '00280008', '00081190']) t.true(tag in instances[0]!, tag);
  t.is((await get(`${url}/studies/2.25.1001/instances`)).json().length, 5);
  t.is((await get(`${url}/instances?PatientID=QIDO-002`)).json().length, 1);
  t.deepEqual(uids((await get(`${url}/series?StudyInstanceUID=2.25.1002`)).json(), '0020000E'), ['2.25.1002.1']);
});

test('cache: second identical query is a hit, parameter order does not matter, ETag gives 304', async (t) => {
  const { url } = t.context.gw;
  const a = await get(`${url}/studies?PatientID=QIDO-002&StudyDate=20220110`);
  t.is(a.headers['x-gateway-cache'], 'MISS');
  const b = await get(`${url}/studies?StudyDate=20220110&00100020=QIDO-002`);
  t.is(b.headers['x-gateway-cache'], 'HIT');
  t.is(a.text, b.text);
  const etag = String(a.headers.etag);
  const c = await get(`${url}/studies?PatientID=QIDO-002&StudyDate=20220110`, { 'if-none-match': etag });
  t.is(c.status, 304);
  t.is(c.text, '');
});

test('invalidating a study refreshes its answers', async (t) => {
  const { url, gateway } = t.context.gw;
  await get(`${url}/studies/2.25.1003/series`);
  t.is((await get(`${url}/studies/2.25.1003/series`)).headers['x-gateway-cache'], 'HIT');
  gateway.metadataCache.invalidateStudy('2.25.1003');
  t.is((await get(`${url}/studies/2.25.1003/series`)).headers['x-gateway-cache'], 'MISS');
});

test('bad input is a 400 problem naming the parameter; unsupported Accept is 406', async (t) => {
  const { url } = t.context.gw;
  const cases: Array<[string, string]> = [
    ['/studies?NoSuchKey=1', 'NoSuchKey'],
    ['/studies?StudyDate=2019-03-14', 'StudyDate'],
    ['/studies?limit=many', 'limit'],
    ['/studies?StudyInstanceUID=1.2.x', 'StudyInstanceUID'],
    ['/studies/1.2.3;rm/series', 'study'],
    ['/studies/..%2F..%2Fsystem/series', 'study'],
  ];
  for (const [path, parameter] of cases) {
    const res = await get(url + path);
    t.is(res.status, 400, path);
    t.is(res.headers['content-type'], 'application/problem+json', path);
    t.is(JSON.parse(res.text).parameter, parameter, path);
  }
  const xml = await get(`${url}/studies`, { accept: 'application/dicom+xml' });
  t.is(xml.status, 406);
});
