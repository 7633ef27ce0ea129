/**
 * The gateway's frame decoder (src/dicom/codecs/frame-decoder.ts) against
 * DCMTK and pydicom/Pillow on every compressed sample of the corpus: lossless
 * syntaxes must give the same bytes; lossy ones the same image within the
 * rounding of different inverse DCT / wavelet implementations.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canDecodeFrames, decodeFrame, FrameDecodeError } from '../../src/dicom/codecs/frame-decoder.js';
import { describeInstance } from '../../src/dicomweb/wado/frames/frame-index.js';
import { frameExtent } from '../../src/dicomweb/wado/frames/layout.js';
import { readFrame } from '../../src/dicomweb/wado/frames/bytes.js';
import { samplesDir } from '../../scripts/fixtures/load.js';
import { sampleFileList } from '../support/frames-expect.js';
import { referenceFirstFrames } from '../support/decoded-expect.js';

/** Largest difference of one sample value allowed for lossy syntaxes (decoders may round differently). */
const LOSSY_TOLERANCE = 2;

function samples(data: Buffer, bitsAllocated: number, signed: boolean): ArrayLike<number> {
  if (bitsAllocated <= 8) return data;
  const words = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  return signed ? new Int16Array(words.buffer) : words;
}

function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

async function encodedFirstFrame(file: string, dir: string): Promise<Buffer> {
  const copy = path.join(dir, path.basename(file)); // describeInstance may rewrite a file in place
  copyFileSync(file, copy);
  const summary = await describeInstance(copy);
  if (!summary.pixel?.table) throw new Error(`no frame table for ${file}`);
  const handle = await open(copy, 'r');
  try {
    return await readFrame(handle, frameExtent(summary.pixel.table, 1));
  } finally {
    await handle.close();
  }
}

const dir = samplesDir();
if (!dir) {
  test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => t.pass());
} else {
  test('every compressed sample decodes like DCMTK / pydicom, or fails with FrameDecodeError', async (t) => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-decode-'));
    t.teardown(() => rmSync(work, { recursive: true, force: true }));
    const { frames, skipped } = await referenceFirstFrames(sampleFileList(dir).map((rel) => path.join(dir, rel)), work);
    t.log(`not compressed or no reference decoder: ${skipped.length} files`);
    if (frames.length === 0) t.log(skipped.slice(0, 5).join("\n"));
    t.true(frames.length >= 15, `reference frames for ${frames.length} files`);
    let decoded = 0;
    for (const ref of frames) {
      const name = path.basename(ref.file);
      t.true(canDecodeFrames(ref.transferSyntax, ref.geometry), `${name}: ${ref.transferSyntax} is one the gateway decodes`);
      const encoded = await encodedFirstFrame(ref.file, work);
      let ours: Buffer;
      try {
        ours = await decodeFrame(ref.transferSyntax, ref.geometry, encoded);
      } catch (err) {
        t.true(err instanceof FrameDecodeError, `${name}: ${String(err)}`);
        t.log(`${name}: the gateway codec cannot decode it (${(err as Error).message}); the archive decodes such frames`);
        continue;
      }
      decoded++;
      t.is(ours.length, ref.data.length, `${name}: frame length`);
      const signed = ref.geometry.pixelRepresentation === 1;
      const diff = largestDifference(samples(ours, ref.geometry.bitsAllocated, signed), samples(ref.data, ref.geometry.bitsAllocated, signed));
      if (ref.lossy) t.true(diff <= LOSSY_TOLERANCE, `${name} (${ref.decoder}, lossy): largest difference ${diff}`);
      else t.is(diff, 0, `${name} (${ref.decoder}, lossless): bytes differ`);
    }
    t.true(decoded >= frames.length - 1, `decoded ${decoded} of ${frames.length}`);
  });
}
