/**
 * A generated 1000-frame uncompressed instance through the gateway against a
 * real Orthanc (PS3.18 §10.4.1.1.6): every frame equals what pydicom extracts;
 * the first frame is relayed, the rest come from the instance store.
 */
import anyTest, { type TestFn } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { AS_STORED, expectedFrames, getFrames, sha256, type ExpectedInstance } from '../support/frames-expect.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;
const FRAMES = 1000;
const STUDY: StudySpec = {
  patientName: 'Frames^Many', patientId: 'FRAMES-1000', birthDate: '19800101', sex: 'O', studyDate: '20240101', studyInstanceUid: '2.25.7001',
  series: [{ modality: 'MR', instances: 1, rows: 16, columns: 24, frames: FRAMES, seriesInstanceUid: '2.25.7001.1' }],
};
const fixture = useOrthanc(anyTest, [STUDY]);
let expected: Promise<ExpectedInstance> | undefined;

/** pydicom's view of the generated instance, computed once (after useOrthanc's hook generated it). */
function expectedInstance(): Promise<ExpectedInstance> {
  expected ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'frames-generated-'));
    try {
      const file = path.join(dir, 'multiframe.dcm');
      await writeFile(file, fixture().instances[0]!.part10);
      return (await expectedFrames([file])).get(file)!;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return expected;
}

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

function url(t: { context: { gw: RunningGateway } }, list: string): string {
  const i = fixture().instances[0]!;
  return `${t.context.gw.url}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}/frames/${list}`;
}

test('all 1000 frames of a generated multi-frame instance are correct', async (t) => {
  const e = await expectedInstance();
  t.is(e.frames, FRAMES);
  t.is(e.frameLength![0], 16 * 24 * 2);
  const first = await getFrames(url(t, '1'), AS_STORED);
  t.is(first.headers['x-gateway-cache'], 'BYPASS');
  t.is(sha256(first.parts[0]!.body), e.frameSha256![0]!);
  const all = await getFrames(url(t, Array.from({ length: FRAMES }, (_, i) => i + 1).join(',')), AS_STORED);
  t.is(all.status, 200);
  t.is(all.parts.length, FRAMES);
  t.deepEqual(all.parts.map((p) => sha256(p.body)), e.frameSha256);
  for (const frame of [2, 500, 999, 1000]) {
    const one = await getFrames(url(t, String(frame)), 'multipart/related; type="application/octet-stream"');
    t.is(one.headers['x-gateway-cache'], 'HIT');
    t.is(sha256(one.parts[0]!.body), e.frameSha256![frame - 1]!, `frame ${frame}`);
  }
  const past = await getFrames(url(t, '1001'), AS_STORED);
  t.is(past.status, 404);
  t.regex(past.text, /Frame 1001 requested; the instance has 1000 frames/);
});

test('20 parallel requests for frames of an uncached instance download it once', async (t) => {
  const e = await expectedInstance();
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => getFrames(url(t, String(i + 2)), AS_STORED)));
  answers.forEach((a, i) => t.is(sha256(a.parts[0]!.body), e.frameSha256![i + 1]!));
  const stats = t.context.gw.gateway.statusSources.instanceStore!() as { downloads: number; entries: number };
  t.is(stats.downloads, 1);
  t.is(stats.entries, 1);
});
