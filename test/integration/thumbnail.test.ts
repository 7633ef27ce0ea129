/**
 * WADO-RS Thumbnail resources (PS3.18 §10.4.1.1.4) against a real Orthanc,
 * which has none (404): the gateway renders the representative image.
 */
import anyTest, { type TestFn } from 'ava';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import { MAGIC, get, header, sizeOf } from './rendered-helpers.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const STUDY = '2.25.8201';
const CT = '2.25.8201.1';
const MR = '2.25.8201.2';
const STUDIES: StudySpec[] = [{
  patientName: 'Thumb^Tom', patientId: 'THUMB-001', birthDate: '19600101', sex: 'M', studyDate: '20230401', studyInstanceUid: STUDY,
  series: [
    { modality: 'CT', instances: 5, rows: 128, columns: 128, seriesInstanceUid: CT, seriesNumber: 3 },
    { modality: 'MR', instances: 2, frames: 4, rows: 96, columns: 64, seriesInstanceUid: MR, seriesNumber: 1 },
  ],
}];

const fixture = useOrthanc(anyTest, STUDIES);
const instancesOf = (series: string) => fixture().instances.filter((i) => i.seriesInstanceUid === series).map((i) => i.sopInstanceUid);

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, { wado: { thumbnailSize: 100 } });
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

const seriesUrl = (t: { context: { gw: RunningGateway } }, series: string) => `${t.context.gw.url}/studies/${STUDY}/series/${series}`;

test('instance thumbnail: JPEG of the configured size, cacheable and cross-origin', async (t) => {
  const res = await get(`${seriesUrl(t, CT)}/instances/${instancesOf(CT)[0]}/thumbnail`);
  t.is(res.status, 200);
  t.is(res.type, 'image/jpeg');
  t.true(MAGIC['image/jpeg']!(res.body));
  t.deepEqual(await sizeOf(res.body), [100, 100]);
  t.is(header(res, 'cross-origin-resource-policy'), 'cross-origin');
  t.regex(header(res, 'cache-control'), /^private, max-age=/);
});

test('viewport sets the thumbnail size; other types are negotiated', async (t) => {
  const res = await get(`${seriesUrl(t, CT)}/instances/${instancesOf(CT)[0]}/thumbnail?viewport=48,32`, { accept: 'image/webp' });
  t.is(res.status, 200);
  t.true(MAGIC['image/webp']!(res.body));
  t.deepEqual(await sizeOf(res.body), [48, 32]);
});

test('a multi-frame instance is represented by its middle frame', async (t) => {
  const base = `${seriesUrl(t, MR)}/instances/${instancesOf(MR)[0]}`;
  const thumb = await get(`${base}/thumbnail`);
  const frame2 = await get(`${base}/frames/2/rendered?viewport=100,100`);
  t.is(thumb.status, 200);
  t.is(header(thumb, 'etag'), header(frame2, 'etag'), 'same image as frame 2 (of 4) at the thumbnail size');
  t.is(header(frame2, 'x-gateway-cache'), 'HIT');
});

test('series thumbnail: the middle instance by InstanceNumber', async (t) => {
  const thumb = await get(`${seriesUrl(t, CT)}/thumbnail`);
  const third = await get(`${seriesUrl(t, CT)}/instances/${instancesOf(CT)[2]}/frames/1/rendered?viewport=100,100`);
  t.is(thumb.status, 200);
  t.is(header(thumb, 'etag'), header(third, 'etag'));
});

test('study thumbnail: the first image series by SeriesNumber', async (t) => {
  const thumb = await get(`${t.context.gw.url}/studies/${STUDY}/thumbnail?viewport=64,64`);
  const mrSeries = await get(`${seriesUrl(t, MR)}/thumbnail?viewport=64,64`);
  t.is(thumb.status, 200);
  t.deepEqual(await sizeOf(thumb.body), [64, 64]);
  t.is(header(thumb, 'etag'), header(mrSeries, 'etag'), 'MR is series 1');
});

test('frame thumbnail, 304 on If-None-Match, and a cache hit the second time', async (t) => {
  const url = `${seriesUrl(t, MR)}/instances/${instancesOf(MR)[1]}/frames/4/thumbnail`;
  const first = await get(url);
  t.is(first.status, 200);
  t.is(header(first, 'x-gateway-cache'), 'MISS');
  const second = await get(url);
  t.is(header(second, 'x-gateway-cache'), 'HIT');
  const again = await get(url, { 'if-none-match': header(first, 'etag') });
  t.is(again.status, 304);
  t.is((await get(`${seriesUrl(t, MR)}/instances/${instancesOf(MR)[1]}/frames/9/thumbnail`)).status, 404, "a frame past the last does not exist");
});

test('thumbnails never carry annotations: the parameter is dropped with a Warning', async (t) => {
  const res = await get(`${seriesUrl(t, CT)}/thumbnail?annotation=patient`);
  t.is(res.status, 200);
  t.regex(header(res, 'warning'), /299 - "annotation is not applied to thumbnails/);
  const plain = await get(`${seriesUrl(t, CT)}/thumbnail`);
  t.is(header(res, 'etag'), header(plain, 'etag'));
});

test('unknown resources are 404; bad viewport 400; unsupported Accept 406', async (t) => {
  t.is((await get(`${t.context.gw.url}/studies/2.25.404/thumbnail`)).status, 404);
  t.is((await get(`${seriesUrl(t, '2.25.404')}/thumbnail`)).status, 404);
  t.is((await get(`${seriesUrl(t, CT)}/instances/2.25.404/thumbnail`)).status, 404);
  const bad = await get(`${seriesUrl(t, CT)}/thumbnail?viewport=-1,10`);
  t.is(bad.status, 400);
  t.is(bad.json().parameter, 'viewport');
  t.is((await get(`${seriesUrl(t, CT)}/thumbnail`, { accept: 'application/dicom' })).status, 406);
});
