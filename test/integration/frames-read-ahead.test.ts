/**
 * Series read-ahead for frames (src/dicomweb/wado/read-ahead.ts) against a real
 * Orthanc: once frames of two instances of a series were asked for, the gateway
 * reads the series into the edge cache with one series retrieve, and the other
 * instances' frames are served from there, equal to Orthanc's, even with Orthanc
 * stopped afterwards. One frame (a thumbnail) starts nothing; neither does a
 * gateway with the shipped wado.readAheadAfterInstances 0.
 * Serial: the last test stops the file's Orthanc.
 */
import anyTest, { type TestFn } from 'ava';
import { request } from 'undici';
import type { GeneratedInstance, StudySpec } from '../../scripts/fixtures/generate.js';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames } from '../support/frames-expect.js';

const test = anyTest.serial as TestFn;

const STACK: StudySpec = {
  patientName: 'Read^Ahead', patientId: 'RA-001', birthDate: '19700101', sex: 'O', studyDate: '20240301', studyInstanceUid: '2.25.8101',
  series: [
    { modality: 'CT', instances: 12, rows: 64, columns: 64, seriesInstanceUid: '2.25.8101.1' },
    { modality: 'CT', instances: 3, rows: 32, columns: 32, seriesInstanceUid: '2.25.8101.2' },
  ],
};
const fixture = useOrthanc(anyTest as TestFn, [STACK]);
const READ_AHEAD = { wado: { readAheadAfterInstances: 2 } };
const series = (uid: string) => fixture().instances.filter((i) => i.seriesInstanceUid === uid);
const framePath = (i: GeneratedInstance) => `/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}/frames/1`;

interface ReadAheadStatus { started: number; completed: number; failed: number; running: number }

async function status(gw: RunningGateway): Promise<{ readAhead?: ReadAheadStatus; seriesRequests: number }> {
  const body = JSON.parse(await (await request(`${gw.origin}/status`)).body.text()) as { caches: { seriesReadAhead?: ReadAheadStatus; edge?: { seriesRequests: number } } };
  return { readAhead: body.caches.seriesReadAhead, seriesRequests: body.caches.edge?.seriesRequests ?? 0 };
}

async function settled(gw: RunningGateway): Promise<ReadAheadStatus | undefined> {
  for (let i = 0; i < 400; i++) {
    const { readAhead } = await status(gw);
    if (!readAhead || (readAhead.running === 0 && readAhead.started > 0)) return readAhead;
    await new Promise((r) => setTimeout(r, 10));
  }
  return (await status(gw)).readAhead;
}

test('one frame of a series starts no read-ahead', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, READ_AHEAD);
  try {
    const [first] = series('2.25.8101.2');
    t.is((await getFrames(`${gw.url}${framePath(first!)}`, AS_STORED)).status, 200);
    await new Promise((r) => setTimeout(r, 100));
    t.like(await status(gw), { readAhead: { started: 0, running: 0 }, seriesRequests: 0 });
  } finally {
    await gw.close();
  }
});

test('shipped configuration (wado.readAheadAfterInstances 0): frames of a whole stack are asked one by one', async (t) => {
  const gw = await startGateway(fixture().orthanc.dicomWebUrl);
  try {
    for (const i of series('2.25.8101.2')) t.is((await getFrames(`${gw.url}${framePath(i)}`, AS_STORED)).status, 200);
    const { readAhead, seriesRequests } = await status(gw);
    t.like(readAhead, { started: 0, running: 0 }, 'frames start nothing (the retrieve trigger is on: it is in /status)');
    t.is(seriesRequests, 0);
  } finally {
    await gw.close();
  }
});

test('frames of two instances read the series ahead; the rest of the stack comes from the edge, also with Orthanc stopped', async (t) => {
  const stack = series('2.25.8101.1');
  const direct = new Map<string, Buffer>();
  for (const i of stack) direct.set(i.sopInstanceUid, (await getFrames(`${fixture().orthanc.dicomWebUrl}${framePath(i)}`, AS_STORED)).parts[0]!.body);
  const gw = await startGateway(fixture().orthanc.dicomWebUrl, READ_AHEAD);
  try {
    for (const i of stack.slice(0, 2)) t.is((await getFrames(`${gw.url}${framePath(i)}`, AS_STORED)).status, 200);
    t.like(await settled(gw), { started: 1, completed: 1, failed: 0 });
    t.is((await status(gw)).seriesRequests, 1, 'one series retrieve for the whole stack');
    await fixture().orthanc.stop();
    for (const i of stack.slice(2)) {
      const answer = await getFrames(`${gw.url}${framePath(i)}`, AS_STORED);
      t.is(answer.status, 200, answer.text);
      t.is(answer.headers['x-gateway-cache'], 'EDGE');
      t.true(answer.parts[0]!.body.equals(direct.get(i.sopInstanceUid)!), `frame of ${i.sopInstanceUid} equals Orthanc's`);
    }
  } finally {
    await gw.close();
  }
});
