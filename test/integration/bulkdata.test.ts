/**
 * WADO-RS bulk data (PS3.18 §10.4.1.1.5) through the gateway against a real
 * Orthanc loaded with the samples: BulkDataURIs from /metadata resolve, pixel
 * data equals the stored bytes (relayed, and from the instance store), Range
 * works on single-part answers although Orthanc ignores it.
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import type { RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames, instancePath, sha256, withSampleGateway, type ExpectedInstance } from '../support/frames-expect.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const SINGLE = 'application/octet-stream';

withSampleGateway(test, (samples) => {
  const expectedOf = (file: string): ExpectedInstance => samples().expected.get(file)!;
  const bulkUrl = (t: { context: { gw: RunningGateway } }, e: ExpectedInstance, rest: string) => `${t.context.gw.url}${instancePath(e.uids)}/bulk/${rest}`;

  /** Two frame requests bring an instance into the store (the second is not relayed). */
  async function warm(t: { context: { gw: RunningGateway } }, e: ExpectedInstance) {
    for (let i = 0; i < 2; i++) await getFrames(`${t.context.gw.url}${instancePath(e.uids)}/frames/1`, AS_STORED);
  }

  test('pixel data bulk equals the stored bytes, relayed and from the instance store', async (t) => {
    for (const file of ['pydicom_CT_small.dcm', 'nibabel_philips_enhanced_MR_176frames.dcm', 'pydicom_SC_rgb_small_odd.dcm', 'pydicom_image_dfl.dcm']) {
      const e = expectedOf(file);
      const cold = await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE);
      t.is(cold.status, 200, `${file}: ${cold.text}`);
      t.is(cold.headers['x-gateway-cache'], 'BYPASS');
      t.is(cold.headers['content-type'], SINGLE);
      t.is(sha256(cold.parts[0]!.body), e.pixelDataSha256!, file);
      await warm(t, e);
      const warmAnswer = await getFrames(bulkUrl(t, e, '7FE00010'), SINGLE);
      t.is(warmAnswer.headers['x-gateway-cache'], 'HIT', file);
      t.is(sha256(warmAnswer.parts[0]!.body), e.pixelDataSha256!, file);
      const multipart = await getFrames(bulkUrl(t, e, '7fe00010'), 'multipart/related; type="application/octet-stream"');
      t.is(multipart.parts.length, 1);
      t.is(sha256(multipart.parts[0]!.body), e.pixelDataSha256!, file);
    }
  });

  test('big endian pixel data bulk is little endian, relayed and from the store', async (t) => {
    const e = expectedOf('pydicom_MR_small_bigendian.dcm');
    // One frame, no padding: the little endian pixel data is pydicom's frame.
    for (const round of ['BYPASS', 'HIT']) {
      if (round === 'HIT') await warm(t, e);
      const res = await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE);
      t.is(res.headers['x-gateway-cache'], round);
      t.is(sha256(res.parts[0]!.body), e.frameSha256![0]!);
    }
  });

  for (const where of ['relayed', 'from the store']) {
    test(`Range on single-part bulk data, ${where}`, async (t) => {
      const e = expectedOf('pydicom_CT_small.dcm');
      if (where === 'from the store') await warm(t, e);
      const whole = (await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE)).parts[0]!.body;
      t.is(sha256(whole), e.pixelDataSha256!);
      const cases: Array<[string, number, number]> = [['bytes=0-99', 0, 99], ['bytes=1000-', 1000, whole.length - 1], ['bytes=-17', whole.length - 17, whole.length - 1], ['bytes=30000-999999', 30000, whole.length - 1]];
      for (const [range, start, end] of cases) {
        const res = await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE, { range });
        t.is(res.status, 206, range);
        t.is(res.headers['content-range'], `bytes ${start}-${end}/${whole.length}`, range);
        t.deepEqual(res.parts[0]!.body, whole.subarray(start, end + 1), range);
      }
      const beyond = await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE, { range: `bytes=${whole.length}-` });
      t.is(beyond.status, 416);
      t.is(beyond.headers['content-range'], `bytes */${whole.length}`);
      const several = await getFrames(bulkUrl(t, e, '7fe00010'), SINGLE, { range: 'bytes=0-1,5-6' });
      t.is(several.status, 200, 'several ranges are ignored: the whole value');
      t.is(several.parts[0]!.body.length, whole.length);
      const onMultipart = await getFrames(bulkUrl(t, e, '7fe00010'), 'multipart/related; type="application/octet-stream"', { range: 'bytes=0-9' });
      t.is(onMultipart.status, 200, 'Range applies to single-part answers only');
    });
  }

  test('BulkDataURIs of /metadata resolve through the gateway, nested ones included', async (t) => {
    const e = expectedOf('pydicom_ECG_12lead.dcm');
    const meta = await request(`${t.context.gw.url}${instancePath(e.uids)}/metadata`, { headers: { accept: 'application/dicom+json' } });
    t.is(meta.statusCode, 200);
    const [dataset] = (await meta.body.json()) as Array<Record<string, { Value?: Array<Record<string, { BulkDataURI?: string }>> }>>;
    const items = dataset!['54000100']!.Value!;
    t.is(items.length, e.waveformSha256.length);
    for (const [k, item] of items.entries()) {
      const uri = item['54001010']!.BulkDataURI!;
      t.true(uri.startsWith(`${t.context.gw.url}/studies/`), uri);
      const res = await getFrames(uri, SINGLE);
      t.is(res.status, 200, res.text);
      t.is(sha256(res.parts[0]!.body), e.waveformSha256[k]!, `waveform item ${k}`);
    }
  });

  test('bad bulk data paths are 400 naming the parameter; unknown values 404', async (t) => {
    const e = expectedOf('pydicom_CT_small.dcm');
    for (const rest of ['7fe0001g', '7fe00010/', 'x', '7fe00010/1', '54000100/a/54001010']) {
      const res = await getFrames(bulkUrl(t, e, rest), SINGLE);
      t.is(res.status, 400, rest);
      t.is(JSON.parse(res.text).parameter, 'bulkdata');
    }
    const unknown = await getFrames(bulkUrl(t, e, '00091099'), SINGLE);
    t.is(unknown.status, 404, unknown.text);
    const noInstance = await getFrames(`${t.context.gw.url}/studies/1.2/series/1.3/instances/1.4/bulk/7fe00010`, SINGLE);
    t.is(noInstance.status, 404);
    const wrongType = await getFrames(bulkUrl(t, e, '7fe00010'), 'image/png');
    t.is(wrongType.status, 406);
  });
});
