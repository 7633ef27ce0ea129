/**
 * Series retrieves through the bulk transport (src/upstream/bulk/) against a
 * real Orthanc: several at once, fast and slow readers mixed, so that read
 * slabs are reused between answers while others are still being written.
 * Every instance must come out byte-identical to what was stored.
 */
import anyTest, { type TestFn } from 'ava';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { boundaryOf, readMultipart } from '../../src/http/multipart.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';

const test = anyTest as TestFn<{ gw: RunningGateway }>;

const STUDY: StudySpec = {
  patientName: 'Bulk^Relay', patientId: 'BULK-001', birthDate: '19800101', sex: 'M', studyDate: '20240601', studyInstanceUid: '2.25.9101',
  series: [{ modality: 'CT', instances: 120, rows: 256, columns: 256, seriesInstanceUid: '2.25.9101.1' }],
};
const fixture = useOrthanc(anyTest, [STUDY]);
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

test.beforeEach(async (t) => {
  t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
});
test.afterEach.always(async (t) => {
  await t.context.gw?.close();
});

/** The parts of one series retrieve; `pauseMs` between parts makes a slow reader. */
async function retrieveParts(url: string, pauseMs: number): Promise<Buffer[]> {
  const res = await request(url, { headers: { accept: ANY_TS } });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  const boundary = boundaryOf(String(res.headers['content-type']))!;
  const parts: Buffer[] = [];
  await readMultipart(res.body as unknown as Readable, boundary, {
    async onPart(part) {
      const chunks: Buffer[] = [];
      for await (const c of part.body) chunks.push(c as Buffer);
      parts.push(Buffer.concat(chunks));
      if (pauseMs) await sleep(pauseMs);
    },
  });
  return parts;
}

test('concurrent series retrieves, fast and slow, are each byte-identical to what was stored', async (t) => {
  const stored = new Set(fixture().instances.map((i) => i.part10.toString('base64')));
  const url = `${t.context.gw.url}/studies/2.25.9101/series/2.25.9101.1`;
  const readers = [0, 0, 0, 2, 0];
  const answers = await Promise.all(readers.map((pauseMs) => retrieveParts(url, pauseMs)));
  for (const [i, parts] of answers.entries()) {
    t.is(parts.length, 120, `reader ${i}`);
    t.is(new Set(parts.map((p) => p.toString('base64'))).size, 120, `reader ${i}: every instance once`);
    t.true(parts.every((p) => stored.has(p.toString('base64'))), `reader ${i}: every part is a stored instance, unchanged`);
  }
});
