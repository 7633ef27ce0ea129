/**
 * WADO-RS Rendered resources through the gateway against a real Orthanc
 * (PS3.18 §10.4.1.1.3, query parameters §8.3.5), on generated CT and MR.
 */
import anyTest, { type TestFn } from 'ava';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import { MAGIC, get, greys, header, meanAbsDiff, partsOf, sizeOf } from './rendered-helpers.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const STUDY = '2.25.8101';
const CT = '2.25.8101.2';
const MR = '2.25.8101.1';
const STUDIES: StudySpec[] = [{
  patientName: 'Render^Ruth', patientId: 'REND-001', birthDate: '19700101', sex: 'F', studyDate: '20230301', studyInstanceUid: STUDY,
  series: [
    { modality: 'CT', instances: 5, rows: 256, columns: 256, seriesInstanceUid: CT, seriesNumber: 2 },
    { modality: 'MR', instances: 1, frames: 4, rows: 128, columns: 128, seriesInstanceUid: MR, seriesNumber: 1 },
  ],
}];

const fixture = useOrthanc(anyTest, STUDIES);
const ctInstances = () => fixture().instances.filter((i) => i.seriesInstanceUid === CT).map((i) => i.sopInstanceUid);
const mrInstance = () => fixture().instances.find((i) => i.seriesInstanceUid === MR)!.sopInstanceUid;

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

const ctUrl = (t: { context: { gw: RunningGateway } }, n = 0) => `${t.context.gw.url}/studies/${STUDY}/series/${CT}/instances/${ctInstances()[n]}`;
const mrUrl = (t: { context: { gw: RunningGateway } }) => `${t.context.gw.url}/studies/${STUDY}/series/${MR}/instances/${mrInstance()}`;

test('instance rendered: JPEG by default, with CORP, private caching, ETag and the renderer', async (t) => {
  const res = await get(`${ctUrl(t)}/rendered`);
  t.is(res.status, 200);
  t.is(res.type, 'image/jpeg');
  t.true(MAGIC['image/jpeg']!(res.body));
  t.deepEqual(await sizeOf(res.body), [256, 256]);
  t.is(header(res, 'cross-origin-resource-policy'), 'cross-origin');
  t.regex(header(res, 'cache-control'), /^private, max-age=\d+$/);
  t.regex(header(res, 'etag'), /^"[\w-]+"$/);
  t.is(header(res, 'x-gateway-renderer'), 'upstream');
  t.false(res.body.includes(fixture().orthanc.dicomWebUrl));
});

test('PNG, WebP and GIF with the right magic bytes and the viewport size', async (t) => {
  for (const type of ['image/png', 'image/webp', 'image/gif', 'image/jpeg']) {
    const res = await get(`${ctUrl(t)}/rendered?viewport=100,50`, { accept: type });
    t.is(res.status, 200, type);
    t.is(res.type, type);
    t.true(MAGIC[type]!(res.body), `${type} magic`);
    t.deepEqual(await sizeOf(res.body), [100, 50], `${type} size`);
  }
});

test('the accept query parameter replaces the Accept header', async (t) => {
  const res = await get(`${ctUrl(t)}/rendered?accept=image/png`, { accept: 'image/jpeg' });
  t.is(res.type, 'image/png');
  t.true(MAGIC['image/png']!(res.body));
});

test('quality changes the JPEG size; it is honoured for WebP too', async (t) => {
  const low = await get(`${ctUrl(t)}/rendered?quality=5`);
  const high = await get(`${ctUrl(t)}/rendered?quality=100`);
  t.true(low.body.length < high.body.length, `${low.body.length} < ${high.body.length}`);
  const lowWebp = await get(`${ctUrl(t)}/rendered?quality=5`, { accept: 'image/webp' });
  const highWebp = await get(`${ctUrl(t)}/rendered?quality=100`, { accept: 'image/webp' });
  t.true(lowWebp.body.length < highWebp.body.length);
});

test('window changes the pixels; the three functions differ', async (t) => {
  const png = { accept: 'image/png' };
  const base = await greys((await get(`${ctUrl(t)}/rendered`, png)).body);
  const narrow = await greys((await get(`${ctUrl(t)}/rendered?window=40,80,linear`, png)).body);
  const sigmoid = await greys((await get(`${ctUrl(t)}/rendered?window=40,80,sigmoid`, png)).body);
  t.true(meanAbsDiff(base, narrow) > 1, 'a narrower window changes the image');
  t.true(meanAbsDiff(narrow, sigmoid) > 0.1, 'sigmoid differs from linear');
});

test('viewport source region and flips', async (t) => {
  const png = { accept: 'image/png' };
  const topLeft = await get(`${ctUrl(t)}/rendered?viewport=128,128,0,0,128,128`, png);
  const flipped = await get(`${ctUrl(t)}/rendered?viewport=128,128,0,0,-128,-128`, png);
  t.deepEqual(await sizeOf(topLeft.body), [128, 128]);
  t.true(meanAbsDiff(await greys(topLeft.body), await greys(flipped.body)) > 1);
});

test('second request is a cache hit; If-None-Match gives 304', async (t) => {
  const first = await get(`${ctUrl(t, 1)}/rendered?viewport=64,64`);
  t.is(header(first, 'x-gateway-cache'), 'MISS');
  const second = await get(`${ctUrl(t, 1)}/rendered?viewport=64,64`);
  t.is(header(second, 'x-gateway-cache'), 'HIT');
  t.deepEqual(second.body, first.body);
  const etag = header(first, 'etag');
  const revalidated = await get(`${ctUrl(t, 1)}/rendered?viewport=64,64`, { 'if-none-match': etag });
  t.is(revalidated.status, 304);
  t.is(revalidated.body.length, 0);
  t.is(header(revalidated, 'etag'), etag);
  const other = await get(`${ctUrl(t, 1)}/rendered?viewport=64,64`, { accept: 'image/png', 'if-none-match': etag });
  t.is(other.status, 200, 'another media type is another representation');
});

test('concurrent misses for one image all succeed', async (t) => {
  const url = `${ctUrl(t, 2)}/rendered?viewport=77,77`;
  const all = await Promise.all(Array.from({ length: 8 }, () => get(url)));
  t.true(all.every((r) => r.status === 200));
  t.is(new Set(all.map((r) => header(r, 'etag'))).size, 1);
});

test('frames: single frame image, frame list as multipart, bad frames are 400, frames past the last 404', async (t) => {
  const png = { accept: 'image/png' };
  const one = await get(`${mrUrl(t)}/frames/1/rendered`, png);
  const three = await get(`${mrUrl(t)}/frames/3/rendered`, png);
  t.is(one.status, 200);
  t.deepEqual(await sizeOf(one.body), [128, 128]);
  t.true(meanAbsDiff(await greys(one.body), await greys(three.body)) > 0.1, 'frames differ');
  const list = await get(`${mrUrl(t)}/frames/1,3/rendered`);
  t.is(list.status, 200);
  t.regex(list.type, /^multipart\/related; type="image\/jpeg"; boundary=/);
  const parts = await partsOf(list);
  t.is(parts.length, 2);
  t.true(parts.every((p) => p.headers['content-type'] === 'image/jpeg' && MAGIC['image/jpeg']!(p.body)));
  t.regex(parts[1]!.headers['content-location'] ?? '', /\/frames\/3\/rendered$/);
  for (const bad of ['0', 'x', '1,1']) {
    const res = await get(`${mrUrl(t)}/frames/${bad}/rendered`);
    t.is(res.status, 400, `frames/${bad}`);
    t.is(res.json().parameter, 'frames');
  }
  // Past the last frame the resource does not exist: 404, as for the Frames resource.
  const beyond = await get(`${mrUrl(t)}/frames/5/rendered`);
  t.is(beyond.status, 404);
  t.is(beyond.json().code, 'FRAME_OUT_OF_RANGE');
});

test('series rendered: multipart of every instance in InstanceNumber order', async (t) => {
  const res = await get(`${t.context.gw.url}/studies/${STUDY}/series/${CT}/rendered`, { accept: 'multipart/related; type="image/png"' });
  t.is(res.status, 200);
  const parts = await partsOf(res);
  t.is(parts.length, 5);
  t.true(parts.every((p) => MAGIC['image/png']!(p.body)));
  t.deepEqual(parts.map((p) => p.headers['content-location']?.split('/instances/')[1]?.split('/')[0]), ctInstances());
});

test('study rendered: the series in SeriesNumber order, a bare image type read as the part type', async (t) => {
  const res = await get(`${t.context.gw.url}/studies/${STUDY}/rendered?viewport=32,32`, { accept: 'image/webp' });
  t.is(res.status, 200);
  t.regex(res.type, /type="image\/webp"/);
  const parts = await partsOf(res);
  t.is(parts.length, 6);
  t.regex(parts[0]!.headers['content-location'] ?? '', new RegExp(`/series/${MR.replace(/\./g, '\\.')}/`), 'MR is series 1');
  t.deepEqual(await sizeOf(parts[5]!.body), [32, 32]);
});

test('annotation burns text in (rendered from PNG); unsupported iccprofile warns', async (t) => {
  const png = { accept: 'image/png' };
  const plain = await get(`${ctUrl(t, 3)}/rendered`, png);
  const annotated = await get(`${ctUrl(t, 3)}/rendered?annotation=patient,technique`, png);
  t.is(annotated.status, 200);
  t.true(meanAbsDiff(await greys(plain.body), await greys(annotated.body)) > 0.05);
  const icc = await get(`${ctUrl(t, 3)}/rendered?iccprofile=adobergb`);
  t.is(icc.status, 200);
  t.regex(header(icc, 'warning'), /^299 - ".*iccprofile.*"$/);
});

test('malformed parameters are 400 naming the parameter', async (t) => {
  for (const [query, parameter] of [['quality=0', 'quality'], ['viewport=0,0', 'viewport'], ['window=40', 'window'], ['annotation=all', 'annotation'], ['iccprofile=p3', 'iccprofile']]) {
    const res = await get(`${ctUrl(t)}/rendered?${query}`);
    t.is(res.status, 400, query);
    t.is(res.type, 'application/problem+json');
    t.is(res.json().parameter, parameter);
  }
});

test('unsupported Accept is 406 listing the supported types; unknown resources 404', async (t) => {
  const res = await get(`${ctUrl(t)}/rendered`, { accept: 'application/dicom' });
  t.is(res.status, 406);
  t.true((res.json().supported as string[]).includes('image/png'));
  const series = await get(`${t.context.gw.url}/studies/${STUDY}/series/${CT}/rendered`, { accept: 'text/html' });
  t.is(series.status, 406);
  t.is((await get(`${t.context.gw.url}/studies/${STUDY}/series/${CT}/instances/2.25.404/rendered`)).status, 404);
  t.is((await get(`${t.context.gw.url}/studies/2.25.404/rendered`)).status, 404);
  t.is((await get(`${t.context.gw.url}/studies/${STUDY}/series/2.25.404/rendered`)).status, 404);
});
