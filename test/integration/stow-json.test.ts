/**
 * The metadata + bulk data form of STOW-RS (PS3.18 §10.5.1.4,
 * `multipart/related; type="application/dicom+json"`), which Orthanc itself
 * refuses with 415: the gateway converts each dataset to Part 10.
 */
import anyTest, { type TestFn } from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dcmjs } from '../../scripts/fixtures/dcmjs.js';
import { samplesDir } from '../../scripts/fixtures/load.js';
import { bufferSource, indexPart10, stringValue } from '../../src/dicom/part10/index.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { commentOf, failureOf, freshCopy, items, postStow, retrieveStored, sopOf } from '../fuzz/stow-client.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const fixture = useOrthanc(anyTest, []);
const SAMPLES = samplesDir();

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }>;
const BINARY_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);

/** DICOM JSON of a Part 10 file, Pixel Data as a BulkDataURI, other binaries inline. */
function toDicomJson(part10: Buffer, pixelUri: string): Json {
  const { dict } = dcmjs.data.DicomMessage.readFile(part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.length) as ArrayBuffer);
  const out: Json = {};
  for (const [tag, attribute] of Object.entries(dict)) {
    if (tag === '7FE00010') out[tag] = { vr: attribute.vr, BulkDataURI: pixelUri };
    else if (BINARY_VRS.has(attribute.vr)) out[tag] = { vr: attribute.vr, InlineBinary: Buffer.from(attribute.Value[0] as ArrayBuffer).toString('base64') };
    else out[tag] = attribute as Json[string];
  }
  return out;
}

function multipart(parts: Array<{ headers: Record<string, string>; body: Buffer }>, type = 'application/dicom+json') {
  const boundary = 'json-form-boundary-7';
  const chunks = parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n${Object.entries(p.headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`), p.body, Buffer.from('\r\n')]);
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/related; type="${type}"; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

async function pixelBytes(part10: Buffer): Promise<Buffer> {
  const index = await indexPart10(bufferSource(part10));
  const px = index.pixelData!;
  return px.encapsulated ? Buffer.concat(px.fragments.map((f) => part10.subarray(f.offset, f.offset + f.length))) : part10.subarray(px.valueOffset, px.valueOffset + px.length);
}

if (!SAMPLES) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => t.pass());
} else {
  const samples = SAMPLES;

  test('native and JPEG instances sent as DICOM JSON + bulk data are stored with their pixels', async (t) => {
    const ct = freshCopy(await readFile(path.join(samples, 'pydicom_CT_small.dcm')));
    const jpeg = freshCopy(await readFile(path.join(samples, 'pydicom_SC_rgb_jpeg_dcmtk.dcm')));
    const metadata = [toDicomJson(ct, 'https://client.example/bulk/ct'), toDicomJson(jpeg, 'bulk-jpeg')];
    const body = multipart([
      { headers: { 'Content-Type': 'application/dicom+json' }, body: Buffer.from(JSON.stringify(metadata)) },
      { headers: { 'Content-Type': 'application/octet-stream', 'Content-Location': 'https://client.example/bulk/ct' }, body: await pixelBytes(ct) },
      { headers: { 'Content-Type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50', 'Content-Location': 'bulk-jpeg' }, body: await pixelBytes(jpeg) },
    ]);
    const res = await postStow(t.context.gw.url, body);
    t.is(res.status, 200, res.text.slice(0, 500));
    const referenced = items(res.json(), '00081199');
    for (const [i, original] of [ct, jpeg].entries()) {
      const index = await indexPart10(bufferSource(original));
      const uid = (k: string) => stringValue(index, k)!;
      t.is(sopOf(referenced[i]!), uid('SOPInstanceUID'));
      const stored = await retrieveStored(fixture().orthanc.dicomWebUrl, uid('StudyInstanceUID'), uid('SeriesInstanceUID'), uid('SOPInstanceUID'));
      t.truthy(stored);
      t.true((await pixelBytes(stored!)).equals(await pixelBytes(original)));
      t.is(stringValue(await indexPart10(bufferSource(stored!)), 'TransferSyntaxUID'), index.transferSyntaxUid);
    }
  });

  test('a dataset whose BulkDataURI names no part fails alone; metadata that is not JSON is a 400', async (t) => {
    const ct = freshCopy(await readFile(path.join(samples, 'pydicom_CT_small.dcm')));
    const good = freshCopy(await readFile(path.join(samples, 'pydicom_MR_small.dcm')));
    const body = multipart([
      { headers: { 'Content-Type': 'application/dicom+json' }, body: Buffer.from(JSON.stringify([toDicomJson(ct, 'missing'), toDicomJson(good, 'px')])) },
      { headers: { 'Content-Type': 'application/octet-stream', 'Content-Location': 'px' }, body: await pixelBytes(good) },
    ]);
    const res = await postStow(t.context.gw.url, body);
    t.is(res.status, 202, res.text.slice(0, 300));
    const failed = items(res.json(), '00081198')[0]!;
    t.is(failureOf(failed), 0xa900);
    t.regex(commentOf(failed), /^Dataset 1: BulkDataURI "missing"/);
    const broken = await postStow(t.context.gw.url, multipart([{ headers: { 'Content-Type': 'application/dicom+json' }, body: Buffer.from('{not json') }]));
    t.is(broken.status, 400);
  });
}
