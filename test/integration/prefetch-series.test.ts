/**
 * Prefetch series by series against the real Orthanc: a series the edge holds
 * none of comes in one series retrieve (one archive request), split into edge
 * files byte-identical to what Orthanc stores, with progress per instance; a
 * series the edge already holds most of is completed instance by instance.
 */
import test from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { readFile } from 'node:fs/promises';
import type { GeneratedInstance, StudySpec } from '../../scripts/fixtures/generate.js';
import type { JobBody } from '../support/prefetch-api.js';

const PATIENT = { patientName: 'Series^Pat', patientId: 'PS-1', birthDate: '19700101', sex: 'F' as const };
const SPECS: StudySpec[] = [
  { ...PATIENT, studyDate: '20240105', studyInstanceUid: '2.25.7801', series: [{ modality: 'CT', instances: 6, rows: 128, columns: 128 }, { modality: 'CT', instances: 4, rows: 64, columns: 64 }] },
  { ...PATIENT, studyDate: '20230105', studyInstanceUid: '2.25.7802', series: [{ modality: 'MR', instances: 3, rows: 64, columns: 64, frames: 2 }] },
  { patientName: 'Series^Two', patientId: 'PS-2', birthDate: '19800101', sex: 'M', studyDate: '20240201', studyInstanceUid: '2.25.7901', series: [{ modality: 'CT', instances: 5, rows: 64, columns: 64 }, { modality: 'CT', instances: 3, rows: 64, columns: 64 }] },
];
const orthanc = useOrthanc(test, SPECS);


async function runJob(gw: RunningGateway, patientId: string): Promise<{ job: JobBody; progress: number[] }> {
  const created = await request(`${gw.origin}/api/prefetch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient: { id: patientId } }) });
  const { links } = (await created.body.json()) as JobBody;
  const events = await request(links.events);
  const progress: number[] = [];
  let buffer = '';
  for await (const chunk of events.body) buffer += (chunk as Buffer).toString('utf8');
  for (const block of buffer.split('\n\n')) {
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (/^event: progress$/m.test(block) && data) progress.push((JSON.parse(data) as JobBody).counts.instancesDone ?? 0);
  }
  const job = (await (await request(links.self)).body.json()) as JobBody;
  return { job, progress };
}

/** The file Orthanc stores for an instance (REST API, not DICOMweb). */
async function storedFile(baseUrl: string, sopInstanceUid: string): Promise<Buffer> {
  const found = await request(`${baseUrl}/tools/lookup`, { method: 'POST', body: sopInstanceUid });
  const [hit] = (await found.body.json()) as Array<{ ID: string; Type: string }>;
  const file = await request(`${baseUrl}/instances/${hit!.ID}/file`);
  return Buffer.from(await file.body.arrayBuffer());
}

test('a prefetch asks the archive once per series; the edge files are byte-identical to what Orthanc stores; progress counts every instance', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => gw.close());
  const { job, progress } = await runJob(gw, 'PS-1');
  t.is(job.status, 'done', job.message);
  t.like(job.counts, { studiesDone: 2, series: 3, instances: 13, instancesDone: 13, instancesReused: 0 });
  t.like(gw.gateway.edge.stats(), { seriesRequests: 3, instanceRequests: 0, downloads: 13, instances: 13, inFlight: 0 });
  t.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress only goes forward');
  t.is(progress.at(-1), 13, 'the last progress event counts every instance');
  const mine = orthanc().instances.filter((i) => i.studyInstanceUid.startsWith('2.25.780'));
  for (const i of mine) {
    const held = await gw.gateway.edge.getInstance({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid });
    t.truthy(held, i.sopInstanceUid);
    t.deepEqual(await readFile(held!.path), await storedFile(orthanc().orthanc.baseUrl, i.sopInstanceUid), `edge file of ${i.sopInstanceUid}`);
  }
  t.true((await gw.gateway.edge.studySummary('2.25.7801'))?.complete);
});

test('a series the edge holds most of is completed instance by instance; one it holds little of still comes in one request', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => gw.close());
  const study = orthanc().instances.filter((i) => i.studyInstanceUid === '2.25.7901');
  const [big, small] = [...new Set(study.map((i) => i.seriesInstanceUid))].map((uid) => study.filter((i) => i.seriesInstanceUid === uid)).sort((a, b) => b.length - a.length);
  const uids = (i: GeneratedInstance) => ({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid });
  for (const i of big!.slice(0, 3)) await gw.gateway.edge.fetchInstance(uids(i)); // 3 of 5: more than half
  await gw.gateway.edge.fetchInstance(uids(small![0]!)); // 1 of 3: less than half
  const before = gw.gateway.edge.stats();
  const { job } = await runJob(gw, 'PS-2');
  t.is(job.status, 'done', job.message);
  t.like(job.counts, { instances: 8, instancesDone: 8, instancesReused: 4 });
  const after = gw.gateway.edge.stats();
  t.is(after.instanceRequests - before.instanceRequests, 2, 'the 2 missing of the mostly held series, one request each');
  t.is(after.seriesRequests - before.seriesRequests, 1, 'the other series in one request');
  t.is(after.downloads - before.downloads, 4);
});
