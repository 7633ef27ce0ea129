/**
 * Series read-ahead for repeated retrieves (src/dicomweb/wado/read-ahead.ts)
 * against a real Orthanc: the archive answers the first retrieves of a series;
 * the one that reaches wado.readAheadAfterRetrieves (shipped: 2) reads the series
 * and the study's metadata into the edge cache in the background, and the next
 * retrieves are answered from disk, byte-identical, also with Orthanc stopped.
 * One retrieve, a study retrieve, a transcoding retrieve or a gateway with the
 * trigger at 0 start nothing; an instance stored through the gateway makes the
 * series come from the archive again, with that instance.
 * Serial: the last test stops the file's Orthanc.
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import { generateStudy, type StudySpec } from '../../scripts/fixtures/generate.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { getFrames, type FrameAnswer } from '../support/frames-expect.js';
import { stowFiles } from '../fuzz/stow-client.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';

const test = anyTest.serial as TestFn;

const STUDY: StudySpec = {
  patientName: 'Read^Again', patientId: 'RR-001', birthDate: '19700101', sex: 'O', studyDate: '20240302', studyInstanceUid: '2.25.8201',
  series: [
    { modality: 'CT', instances: 4, rows: 64, columns: 64, seriesInstanceUid: '2.25.8201.1' },
    { modality: 'CT', instances: 2, rows: 32, columns: 32, seriesInstanceUid: '2.25.8201.2' },
    { modality: 'CT', instances: 2, rows: 32, columns: 32, seriesInstanceUid: '2.25.8201.3' },
  ],
};
const fixture = useOrthanc(anyTest as TestFn, [STUDY]);
const AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const seriesUrl = (gw: RunningGateway, series: string) => `${gw.url}/studies/2.25.8201/series/${series}`;
const stored = (series: string) => fixture().instances.filter((i) => i.seriesInstanceUid === series).map((i) => i.part10);
const sorted = (bodies: Buffer[]) => bodies.map((b) => b.toString('base64')).sort().join();

interface ReadAheadStatus { started: number; startedByRetrieves: number; completed: number; failed: number; running: number }

async function readAhead(gw: RunningGateway): Promise<ReadAheadStatus> {
  const body = JSON.parse(await (await request(`${gw.origin}/status`)).body.text()) as { caches: { seriesReadAhead: ReadAheadStatus } };
  return body.caches.seriesReadAhead;
}

async function settled(gw: RunningGateway): Promise<ReadAheadStatus> {
  for (let i = 0; i < 500; i++) {
    const now = await readAhead(gw);
    if (now.running === 0 && now.started > 0) return now;
    await new Promise((r) => setTimeout(r, 10));
  }
  return readAhead(gw);
}

function servedBy(answer: FrameAnswer): string {
  return String(answer.headers['x-gateway-cache'] ?? 'archive');
}

test('one retrieve of a series starts nothing; nor do study retrieves or retrieves the archive transcodes', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    t.is((await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED)).status, 200);
    for (let i = 0; i < 3; i++) t.is((await getFrames(`${gw.url}/studies/2.25.8201`, AS_STORED)).status, 200);
    // Explicit VR Big Endian is not how these are stored: the edge could never answer such a retrieve.
    const bigEndian = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.2';
    for (let i = 0; i < 3; i++) await getFrames(seriesUrl(gw, '2.25.8201.3'), bigEndian);
    await new Promise((r) => setTimeout(r, 100));
    t.like(await readAhead(gw), { started: 0, running: 0 });
  } finally {
    await gw.close();
  }
});

test('wado.readAheadAfterRetrieves 0: every retrieve goes to the archive', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { wado: { readAheadAfterRetrieves: 0 } });
  try {
    for (let i = 0; i < 4; i++) t.is(servedBy(await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED)), 'archive');
    const body = JSON.parse(await (await request(`${gw.origin}/status`)).body.text()) as { caches: Record<string, unknown> };
    t.false('seriesReadAhead' in body.caches, 'no read-ahead when both triggers are 0');
  } finally {
    await gw.close();
  }
});

test('an instance stored through the gateway: the series comes from the archive again, with it', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    for (let i = 0; i < 2; i++) await getFrames(seriesUrl(gw, '2.25.8201.3'), AS_STORED);
    t.like(await settled(gw), { startedByRetrieves: 1, completed: 1 });
    t.is(servedBy(await getFrames(seriesUrl(gw, '2.25.8201.3'), AS_STORED)), 'EDGE');
    // The generator derives SOP Instance UIDs from the series UID and instance number: the third is new.
    const spec = { ...STUDY, series: [{ ...STUDY.series[2]!, instances: 3 }] };
    const added = generateStudy(spec)[2]!;
    t.is((await stowFiles(gw.url, [added.part10])).status, 200);
    const after = await getFrames(seriesUrl(gw, '2.25.8201.3'), AS_STORED);
    t.is(servedBy(after), 'archive');
    t.is(sorted(after.parts.map((p) => p.body)), sorted([...stored('2.25.8201.3'), added.part10]));
  } finally {
    await gw.close();
  }
});

test('an instance that reached the archive by another route: the edge steps aside, the archive answers with it, the series is read again', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    for (let i = 0; i < 2; i++) await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED);
    t.like(await settled(gw), { startedByRetrieves: 1, completed: 1 });
    t.is(servedBy(await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED)), 'EDGE');
    // A modality sends the third image straight to the PACS.
    const added = generateStudy({ ...STUDY, series: [{ ...STUDY.series[1]!, instances: 3 }] })[2]!;
    await loadIntoOrthanc(fixture().orthanc.baseUrl, [added.part10]);
    const expected = sorted([...stored('2.25.8201.2'), added.part10]);
    const after = await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED);
    t.is(servedBy(after), 'archive');
    t.is(sorted(after.parts.map((p) => p.body)), expected);
    // Asked for again, the series is read again (its read-ahead was forgotten with the study), with the new image.
    await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED);
    t.like(await settled(gw), { startedByRetrieves: 2, completed: 2 });
    const again = await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED);
    t.is(servedBy(again), 'EDGE');
    t.is(sorted(again.parts.map((p) => p.body)), expected);
  } finally {
    await gw.close();
  }
});

test('the second retrieve reads the series into the edge; later ones come from it, byte-identical, also with Orthanc stopped', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, { upstream: { retries: 0 } });
  try {
    for (let i = 0; i < 2; i++) {
      const answer = await getFrames(seriesUrl(gw, '2.25.8201.1'), AS_STORED);
      t.is(servedBy(answer), 'archive');
      t.is(sorted(answer.parts.map((p) => p.body)), sorted(stored('2.25.8201.1')));
    }
    t.like(await settled(gw), { started: 1, startedByRetrieves: 1, completed: 1, failed: 0 });
    const fromEdge = await getFrames(seriesUrl(gw, '2.25.8201.1'), AS_STORED);
    t.is(servedBy(fromEdge), 'EDGE');
    t.is(sorted(fromEdge.parts.map((p) => p.body)), sorted(stored('2.25.8201.1')), 'the edge answers what was stored');
    // The other series were not read: the study's metadata alone does not make them servable.
    t.is(servedBy(await getFrames(seriesUrl(gw, '2.25.8201.2'), AS_STORED)), 'archive');

    await fixture().orthanc.stop();
    const offline = await getFrames(seriesUrl(gw, '2.25.8201.1'), AS_STORED);
    t.is(offline.status, 200, offline.text);
    t.is(servedBy(offline), 'EDGE');
    t.is(offline.parts.length, 4);
  } finally {
    await gw.close();
  }
});
