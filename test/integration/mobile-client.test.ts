/**
 * A client that behaves like a mobile app on a slow, metered link: it pages
 * the study list (QIDO-RS limit/offset, PS3.18 §8.3.4.4), shows series
 * thumbnails (§10.4.1.1.5), opens images as small rendered JPEGs with a
 * quality setting (§8.3.5.1), revalidates what it has cached with
 * If-None-Match (304, no body), and counts the bytes each image costs.
 */
import anyTest, { type TestFn } from 'ava';
import sharp from 'sharp';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const ROWS = 512;
const COLUMNS = 512;
const STUDIES: StudySpec[] = Array.from({ length: 5 }, (_, i) => ({
  patientName: `Mobile^Patient${i}`, patientId: `MOB-${i}`, birthDate: '19800101', sex: 'O' as const, studyDate: `2024010${i + 1}`,
  studyInstanceUid: `2.25.6400${i}`,
  series: [{ modality: 'CT' as const, instances: 1, rows: ROWS, columns: COLUMNS, seriesInstanceUid: `2.25.6400${i}.1` }],
}));
const fixture = useOrthanc(anyTest, STUDIES);

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => t.context.gw.close());

interface Fetched { status: number; bytes: Buffer; etag: string | null; type: string | null }
async function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const res = await fetch(url, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, etag: res.headers.get('etag'), type: res.headers.get('content-type') };
}

const instanceUrl = (gw: RunningGateway, n: number) => {
  const instance = fixture().instances[n]!;
  return `${gw.url}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
};

test('pages the study list two studies at a time without gaps or repeats', async (t) => {
  const seen: string[] = [];
  for (let offset = 0; ; offset += 2) {
    const page = await get(`${t.context.gw.url}/studies?PatientID=MOB-*&limit=2&offset=${offset}&includefield=00081030`, { accept: 'application/dicom+json' });
    if (page.status === 204) break;
    t.is(page.status, 200);
    const studies = JSON.parse(page.bytes.toString('utf8')) as Array<Record<string, { Value?: string[] }>>;
    t.true(studies.length <= 2 && studies.length > 0);
    seen.push(...studies.map((s) => s['0020000D']!.Value![0]!));
    t.log(`QIDO page offset=${offset}: ${studies.length} studies, ${page.bytes.length} bytes`);
    if (studies.length < 2) break;
  }
  t.deepEqual([...seen].sort(), STUDIES.map((s) => s.studyInstanceUid!).sort());
});

test('thumbnails and small rendered frames cost a fraction of the raw frame, and revalidate with 304', async (t) => {
  const { gw } = t.context;
  const base = instanceUrl(gw, 0);
  const raw = await get(`${base}/frames/1`, { accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*' });
  t.is(raw.status, 200);
  t.true(raw.bytes.length >= ROWS * COLUMNS * 2);

  const thumb = await get(`${base}/thumbnail?viewport=64,64`, { accept: 'image/jpeg' });
  t.is(thumb.status, 200);
  const small = await get(`${base}/frames/1/rendered?viewport=160,160&quality=40`, { accept: 'image/jpeg' });
  const sharper = await get(`${base}/frames/1/rendered?viewport=160,160&quality=95`, { accept: 'image/jpeg' });
  t.is(small.type, 'image/jpeg');
  const meta = await sharp(small.bytes).metadata();
  t.true((meta.width ?? 0) <= 160 && (meta.height ?? 0) <= 160, `rendered at the viewport: ${meta.width}x${meta.height}`);
  t.true(small.bytes.length < sharper.bytes.length, 'quality=40 is smaller than quality=95');
  t.true(small.bytes.length * 20 < raw.bytes.length, 'a small rendered frame is far smaller than the raw frame');
  t.log(`bytes per image: raw frame ${raw.bytes.length}, thumbnail ${thumb.bytes.length}, rendered 160px q40 ${small.bytes.length}, q95 ${sharper.bytes.length}`);

  t.truthy(small.etag, 'rendered answers carry an ETag');
  const again = await get(`${base}/frames/1/rendered?viewport=160,160&quality=40`, { accept: 'image/jpeg', 'if-none-match': small.etag! });
  t.is(again.status, 304);
  t.is(again.bytes.length, 0, 'a revalidated image costs no body bytes');
});

test('series metadata revalidates with 304 once cached', async (t) => {
  const instance = fixture().instances[1]!;
  const url = `${t.context.gw.url}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/metadata`;
  const first = await get(url, { accept: 'application/dicom+json' });
  t.is(first.status, 200);
  t.truthy(first.etag);
  const again = await get(url, { accept: 'application/dicom+json', 'if-none-match': first.etag! });
  t.is(again.status, 304);
  t.is(again.bytes.length, 0);
  t.log(`metadata ${first.bytes.length} bytes, revalidation 0 bytes`);
});
