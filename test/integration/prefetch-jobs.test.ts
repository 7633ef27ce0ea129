/**
 * Prefetch jobs against the real Orthanc: a patient with three studies (same
 * PatientID, different dates and modalities) beside another patient's study.
 * A job ends done with the counts Orthanc holds and streams snapshot, progress
 * and end events; date range and modality filters pick the right studies;
 * DELETE cancels a running job; bad requests are 400s naming the field.
 */
import test from 'ava';
import { request } from 'undici';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import type { StudySpec } from '../../scripts/fixtures/generate.js';
import type { JobBody } from '../support/prefetch-api.js';

const PATIENT = { patientName: 'Prefetch^Pat', patientId: 'PF-1', birthDate: '19700101', sex: 'F' as const };
const SPECS: StudySpec[] = [
  { ...PATIENT, studyDate: '20230105', studyDescription: 'CT CHEST', studyInstanceUid: '2.25.7101', series: [{ modality: 'CT', instances: 3, rows: 64, columns: 64 }, { modality: 'CT', instances: 2, rows: 64, columns: 64 }] },
  { ...PATIENT, studyDate: '20230610', studyDescription: 'MR HEAD', studyInstanceUid: '2.25.7102', series: [{ modality: 'MR', instances: 4, rows: 64, columns: 64 }] },
  { ...PATIENT, studyDate: '20240302', studyDescription: 'CT ABDOMEN', studyInstanceUid: '2.25.7103', series: [{ modality: 'CT', instances: 5, rows: 64, columns: 64 }] },
  { patientName: 'Other^Pat', patientId: 'PF-2', birthDate: '19800101', sex: 'M', studyDate: '20240302', studyInstanceUid: '2.25.7201', series: [{ modality: 'CT', instances: 2, rows: 64, columns: 64 }] },
  // Enough to still be running when it is cancelled: one instance at a time.
  { patientName: 'Cancel^Pat', patientId: 'PF-3', birthDate: '19900101', sex: 'O', studyDate: '20220101', studyInstanceUid: '2.25.7301', series: [{ modality: 'CT', instances: 150, rows: 256, columns: 256 }] },
];
const orthanc = useOrthanc(test, SPECS);


async function json<T>(url: string, init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: T }> {
  const res = await request(url, {
    method: init.method ?? 'GET',
    ...(init.body !== undefined && { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

async function waitFinished(gw: RunningGateway, id: string): Promise<JobBody> {
  for (;;) {
    const { body } = await json<JobBody>(`${gw.origin}/api/prefetch/${id}`);
    if (!['queued', 'running'].includes(body.status)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface SseEvent { event: string; data: JobBody }

async function readEvents(url: string): Promise<{ contentType: unknown; events: SseEvent[] }> {
  const res = await request(url);
  const events: SseEvent[] = [];
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += (chunk as Buffer).toString('utf8');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) as JobBody });
    }
  }
  return { contentType: res.headers['content-type'], events };
}

const post = (gw: RunningGateway, body: unknown) => json<JobBody & { code?: string; parameter?: string }>(`${gw.origin}/api/prefetch`, { method: 'POST', body });

test('a prefetch of a patient with three studies ends done with the counts Orthanc holds, streaming snapshot, progress and end', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => gw.close());
  const created = await post(gw, { patient: { id: 'PF-1' } });
  t.is(created.status, 202);
  t.is(created.headers.location, created.body.links.self);
  t.regex(created.body.links.events, /\/api\/prefetch\/[0-9a-f-]{36}\/events$/);
  const { contentType, events } = await readEvents(created.body.links.events);
  t.regex(String(contentType), /^text\/event-stream/);
  t.is(events[0]?.event, 'snapshot');
  t.true(events.filter((e) => e.event === 'progress').length >= 3, 'progress events');
  t.true(events.some((e) => e.event === 'progress' && /^Fetching study \d of 3 \(/.test(e.data.message)), 'readable progress message');
  const end = events.at(-1)!;
  t.is(end.event, 'end');
  t.is(end.data.status, 'done');
  const job = await waitFinished(gw, created.body.id);
  t.is(job.status, 'done');
  const bytes = orthanc().instances.filter((i) => i.studyInstanceUid.startsWith('2.25.710')).reduce((n, i) => n + i.part10.length, 0);
  t.like(job.counts, { studiesFound: 3, studiesDone: 3, studiesFailed: 0, series: 4, instances: 14, instancesDone: 14 });
  t.true(Math.abs(job.counts.bytes! - bytes) < 14 * 1024, `bytes ${job.counts.bytes} close to the generated ${bytes}`);
  t.deepEqual(job.studies.map((s) => s.studyInstanceUid), ['2.25.7103', '2.25.7102', '2.25.7101'], 'newest first');
  t.regex(job.message, /^Done: 3 studies, 14 images, /);
  const summary = await gw.gateway.edge.studySummary('2.25.7101');
  t.true(summary?.complete, 'the edge has the study complete');
  t.is((await gw.gateway.edge.studySummary('2.25.7201')), undefined, "the other patient's study was not fetched");

  const series = orthanc().instances.find((i) => i.studyInstanceUid === '2.25.7101')!.seriesInstanceUid;
  const warm = await request(`${gw.url}/studies/2.25.7101/series/${series}/metadata`);
  const warmBody = (await warm.body.json()) as unknown[];
  t.is(warm.headers['x-gateway-cache'], 'HIT', 'the prefetch warmed the series metadata a viewer asks for');
  t.is(warmBody.length, orthanc().instances.filter((i) => i.seriesInstanceUid === series).length);
  const again = await post(gw, { patient: { id: 'PF-1' } });
  const second = await waitFinished(gw, again.body.id);
  t.like(second.counts, { instancesDone: 14, instancesReused: 14 }, 'a second prefetch downloads nothing again');
  const audit = await json<{ events: Array<{ action: string; request: { method: string }; patients?: Array<{ id?: string }>; studies?: string[]; detail?: { prefetchJob?: string } }> }>(
    `${gw.origin}/admin/audit?type=${encodeURIComponent('Begin Transferring DICOM Instances')}&patient=PF-1`,
  );
  const creation = audit.body.events.find((e) => e.request.method === 'POST' && e.detail?.prefetchJob === created.body.id);
  t.like(creation, { action: 'C', patients: [{ id: 'PF-1' }] }, 'the POST is audited with the patient and the job');
  t.true(audit.body.events.some((e) => e.request.method === 'GET' && (e.studies ?? []).includes('2.25.7101')), 'reading the job names its studies');
  const metrics = await (await request(`${gw.origin}/metrics`)).body.text();
  t.regex(metrics, /gateway_prefetch_jobs_finished_total\{status="done"\} 2/);
  t.regex(metrics, /gateway_prefetch_instances_total\{source="downloaded"\} 14/);
});

test('date range and modality filters select the right studies', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => gw.close());
  const cases: Array<[unknown, string[]]> = [
    [{ studyDate: { from: '20230101', to: '20231231' } }, ['2.25.7102', '2.25.7101']],
    [{ studyDate: { from: '20230601' } }, ['2.25.7103', '2.25.7102']],
    [{ studyDate: { to: '20230301' } }, ['2.25.7101']],
    [{ modalities: ['MR'] }, ['2.25.7102']],
    [{ modalities: ['CT'], studyDate: { from: '20240101' } }, ['2.25.7103']],
    [{ modalities: ['MR', 'US'] }, ['2.25.7102']],
    [{ studyDate: { from: '20250101' } }, []],
  ];
  for (const [criteria, expected] of cases) {
    const created = await post(gw, { patient: { id: 'PF-1' }, ...(criteria as object) });
    t.is(created.status, 202);
    const job = await waitFinished(gw, created.body.id);
    t.is(job.status, 'done', JSON.stringify(criteria));
    t.deepEqual(job.studies.map((s) => s.studyInstanceUid), expected, JSON.stringify(criteria));
    if (expected.length === 0) t.regex(job.message, /^Done: no studies of this patient in the archive match \(dates from 2025-01-01\)/);
  }
  const list = await json<{ jobs: Array<{ status: string }> }>(`${gw.origin}/api/prefetch?status=done&limit=3`);
  t.is(list.body.jobs.length, 3);
});

test('DELETE cancels a running job: in-flight downloads stop and the job ends cancelled', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl, { prefetch: { instanceConcurrency: 1 } });
  t.teardown(() => gw.close());
  const created = await post(gw, { patient: { id: 'PF-3' } });
  const streams = () => (gw.gateway.statusSources.prefetch!() as { eventStreams: number }).eventStreams;
  const leaving = new AbortController();
  const watcher = await request(created.body.links.events, { signal: leaving.signal });
  watcher.body.on('error', () => undefined);
  while (streams() === 0) await new Promise((r) => setTimeout(r, 5));
  leaving.abort();
  while (streams() > 0) await new Promise((r) => setTimeout(r, 5));
  t.pass('an event stream whose client left is unsubscribed');
  for (;;) {
    const { body } = await json<JobBody>(created.body.links.self);
    if ((body.counts.instancesDone ?? 0) >= 1) break;
    t.is(body.status === 'done', false, 'still running when cancelled');
    await new Promise((r) => setTimeout(r, 20));
  }
  const cancelled = await json<JobBody>(created.body.links.self, { method: 'DELETE' });
  t.is(cancelled.status, 200);
  t.is(cancelled.body.status, 'cancelled');
  t.regex(cancelled.body.message, /^Cancelled after 0 of 1 study \(\d+ images?, /);
  t.is(cancelled.body.studies[0]?.status, 'skipped');
  t.true((cancelled.body.counts.instancesDone ?? 0) < 150);
  while (gw.gateway.edge.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 5)); // the aborted download winds down
  const downloads = gw.gateway.edge.stats().downloads;
  await new Promise((r) => setTimeout(r, 200));
  t.is(gw.gateway.edge.stats().downloads, downloads, 'no download starts after the cancel');
  const done = await readEvents(created.body.links.events);
  t.deepEqual(done.events.map((e) => e.event), ['snapshot', 'end'], 'events of a finished job: snapshot and end at once');
  t.is((await json(created.body.links.self, { method: 'DELETE' })).status, 200, 'cancelling again is harmless');
});

test('a viewer retrieving a study while its prefetch runs shares the downloads: each instance comes from the archive once', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl, { prefetch: { instanceConcurrency: 1 } });
  t.teardown(() => gw.close());
  const created = await post(gw, { patient: { id: 'PF-3' } });
  for (;;) {
    const { body } = await json<JobBody>(created.body.links.self);
    if ((body.counts.instancesDone ?? 0) >= 1 || !['queued', 'running'].includes(body.status)) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const viewer = await request(`${gw.url}/studies/2.25.7301`, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } });
  const body = Buffer.from(await viewer.body.arrayBuffer());
  t.is(viewer.statusCode, 200);
  t.is(viewer.headers['x-gateway-cache'], 'EDGE', 'answered from the edge as the instances arrived, not from a second archive retrieve');
  const studyBytes = orthanc().instances.filter((i) => i.studyInstanceUid === '2.25.7301').reduce((n, i) => n + i.part10.length, 0);
  t.true(body.length >= studyBytes, `the viewer got the whole study (${body.length} >= ${studyBytes} bytes)`);
  const job = await waitFinished(gw, created.body.id);
  t.is(job.status, 'done');
  t.is(gw.gateway.edge.stats().downloads, 150, 'one archive download per instance for the prefetch and the viewer together');
});

test('bad requests are 400s naming the field; unknown jobs are 404; ended jobs cannot be cancelled', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => gw.close());
  const cases: Array<[unknown, string]> = [
    [{}, 'patient'],
    [{ patient: { id: '' } }, 'patient.id'],
    [{ patient: { id: 'PF*' } }, 'patient.id'],
    [{ patient: { id: 'PF-1', issuer: 7 } }, 'patient.issuer'],
    [{ patient: { id: 'PF-1' }, studyDate: { from: '2024-01-01' } }, 'studyDate.from'],
    [{ patient: { id: 'PF-1' }, studyDate: { from: '20240230' } }, 'studyDate.from'],
    [{ patient: { id: 'PF-1' }, studyDate: { from: '20240301', to: '20240101' } }, 'studyDate'],
    [{ patient: { id: 'PF-1' }, modalities: 'CT' }, 'modalities'],
    [{ patient: { id: 'PF-1' }, modalities: ['C T'] }, 'modalities[0]'],
    [{ patient: { id: 'PF-1' }, studydate: {} }, 'studydate'],
  ];
  for (const [body, parameter] of cases) {
    const res = await post(gw, body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.parameter, parameter, JSON.stringify(body));
  }
  const notJson = await request(`${gw.origin}/api/prefetch`, { method: 'POST', body: 'patient=PF-1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await notJson.body.dump();
  t.is(notJson.statusCode, 415);
  t.is((await json(`${gw.origin}/api/prefetch/00000000-0000-4000-8000-000000000000`)).status, 404);
  t.is((await json(`${gw.origin}/api/prefetch/not-a-job`, { method: 'DELETE' })).status, 404);
  t.is((await json(`${gw.origin}/api/prefetch?status=sleeping`)).status, 400);
  t.is((await json(`${gw.origin}/api/prefetch`, { method: 'DELETE' })).status, 405);
  const created = await post(gw, { patient: { id: 'PF-2' } });
  await waitFinished(gw, created.body.id);
  const late = await json<{ code: string }>(created.body.links.self, { method: 'DELETE' });
  t.is(late.status, 409);
  t.is(late.body.code, 'PREFETCH_JOB_FINISHED');
});

test('POST answers 503 with a clear message when prefetch is switched off or the gateway drains', async (t) => {
  const gw = await startGateway(orthanc().orthanc.dicomWebUrl, { prefetch: { enabled: false } });
  t.teardown(() => gw.close());
  const res = await post(gw, { patient: { id: 'PF-1' } });
  t.is(res.status, 503);
  t.like(res.body as unknown as { code: string }, { code: 'PREFETCH_DISABLED' });
  t.regex((res.body as unknown as { detail: string }).detail, /switched off on this gateway \(prefetch\.enabled is false\)/);
  const draining = await startGateway(orthanc().orthanc.dicomWebUrl);
  t.teardown(() => draining.close());
  draining.gateway.lifecycle.draining = true;
  t.like((await post(draining, { patient: { id: 'PF-1' } })).body as unknown as { code: string }, { code: 'GATEWAY_DRAINING' });
});
