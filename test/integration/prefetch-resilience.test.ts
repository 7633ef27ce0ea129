/**
 * Prefetch jobs when things go wrong, each test with its own Orthanc (some stop
 * it): a gateway restart mid-job resumes the job without downloading again what
 * it already had; Orthanc stopped mid-job ends the job partial with per-study
 * reasons; after a prefetch, a restarted gateway serves WADO-RS of the studies
 * with Orthanc stopped.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { request } from 'undici';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../../scripts/orthanc/harness.js';
import { generateStudy, type GeneratedInstance, type StudySpec } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { StateDatabase } from '../../src/state/database.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import type { JobBody } from '../support/prefetch-api.js';


const ANY_TS_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const ANY_TS_FRAMES = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

async function withOrthanc(specs: StudySpec[]): Promise<{ orthanc: OrthancInstance; instances: GeneratedInstance[] }> {
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  const orthanc = await startOrthanc();
  const instances = specs.flatMap(generateStudy);
  const loaded = await loadIntoOrthanc(orthanc.baseUrl, instances.map((i) => i.part10));
  if (loaded.failed.length > 0) throw new Error(`Orthanc refused ${loaded.failed.length} instances`);
  return { orthanc, instances };
}

function tempStateDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-state-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function getJob(gw: RunningGateway, id: string): Promise<JobBody> {
  const res = await request(`${gw.origin}/api/prefetch/${id}`);
  return (await res.body.json()) as JobBody;
}

async function createJob(gw: RunningGateway, patientId: string): Promise<JobBody> {
  const res = await request(`${gw.origin}/api/prefetch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient: { id: patientId } }) });
  if (res.statusCode !== 202) throw new Error(`POST /api/prefetch answered ${res.statusCode}: ${await res.body.text()}`);
  return (await res.body.json()) as JobBody;
}

async function waitUntil(gw: RunningGateway, id: string, done: (job: JobBody) => boolean): Promise<JobBody> {
  for (;;) {
    const job = await getJob(gw, id);
    if (done(job)) return job;
    await sleep(25);
  }
}

const finished = (job: JobBody) => !['queued', 'running'].includes(job.status);

const ct = (patientId: string, studyDate: string, studyInstanceUid: string, instances: number, size = 256): StudySpec => ({
  patientName: `Resilience^${patientId}`, patientId, birthDate: '19750101', sex: 'M', studyDate, studyInstanceUid,
  series: [{ modality: 'CT', instances, rows: size, columns: size }],
});

test.serial('a gateway restart mid-job: the job resumes on the same state and ends done without downloading again what it had', async (t) => {
  const { orthanc } = await withOrthanc([ct('RS-1', '20240101', '2.25.7401', 120)]);
  t.teardown(() => orthanc.stop());
  const dir = tempStateDir(t);
  const overrides = { state: { dir }, prefetch: { instanceConcurrency: 1 } };
  const a = await startGateway(orthanc.dicomWebUrl, overrides);
  const created = await createJob(a, 'RS-1');
  const seen = await waitUntil(a, created.id, (j) => j.counts.instancesDone! >= 1 || finished(j));
  t.is(seen.status, 'running', 'still running when gateway A stops');
  await a.close();
  const state = new StateDatabase(dir, pino({ level: 'silent' }));
  const paused = await new SqlitePrefetchRepository(state).getJob(created.id);
  state.close();
  t.is(paused?.status, 'queued', 'saved as resumable');
  t.regex(paused?.message ?? '', /^Paused: the gateway was shut down during this prefetch; it continues where it left off/);

  const b = await startGateway(orthanc.dicomWebUrl, overrides);
  t.teardown(() => b.close());
  const job = await waitUntil(b, created.id, finished);
  t.is(job.status, 'done', job.message);
  t.like(job.counts, { studiesFound: 1, studiesDone: 1, instances: 120, instancesDone: 120 });
  t.true(job.counts.instancesReused! >= seen.counts.instancesDone!, `reused ${job.counts.instancesReused} >= ${seen.counts.instancesDone} fetched before the restart`);
  t.is(b.gateway.edge.stats().downloads, 120 - job.counts.instancesReused!, 'gateway B downloaded only what the edge did not hold');
  t.log(`${seen.counts.instancesDone} instances seen before the restart, ${job.counts.instancesReused} reused after it`);
});

test.serial('Orthanc stopped mid-job: the job ends partial, each failed study with a reason', async (t) => {
  const { orthanc } = await withOrthanc([ct('OS-1', '20240301', '2.25.7501', 3, 64), ct('OS-1', '20240201', '2.25.7502', 300), ct('OS-1', '20240101', '2.25.7503', 5, 64)]);
  t.teardown(() => orthanc.stop());
  const gw = await startGateway(orthanc.dicomWebUrl, {
    upstream: { retries: 1, retryInitialDelayMs: 10, retryMaxDelayMs: 50, breakerThreshold: 3, breakerHalfOpenAfterMs: 200 },
    prefetch: { instanceConcurrency: 1, retries: 2, retryInitialDelayMs: 20, retryMaxDelayMs: 100 },
  });
  t.teardown(() => gw.close());
  const created = await createJob(gw, 'OS-1');
  await waitUntil(gw, created.id, (j) => (j.studies[1]?.instancesDone ?? 0) >= 1 || finished(j));
  // Killed, not shut down: a graceful stop lets Orthanc finish the series answer in flight.
  process.kill(orthanc.pid, 'SIGKILL');
  await orthanc.stop();
  const job = await waitUntil(gw, created.id, finished);
  t.is(job.status, 'partial', job.message);
  t.deepEqual(job.studies.map((s) => s.status), ['done', 'failed', 'failed']);
  for (const s of job.studies.slice(1)) t.regex(s.error ?? '', /^the archive "PACS" did not answer/);
  t.regex(job.message, /^Partial: 1 of 3 studies fetched \(\d+ images, [\d.]+ \w+\); 2 failed: the archive "PACS" did not answer/);
  t.like(job.counts, { studiesDone: 1, studiesFailed: 2 });
  t.log(job.message);
});

test.serial('after a prefetch, a restarted gateway serves the studies with Orthanc stopped (retrieve, metadata, frame)', async (t) => {
  const { orthanc, instances } = await withOrthanc([ct('OFF-1', '20240101', '2.25.7601', 6, 128), ct('OFF-1', '20230101', '2.25.7602', 4, 64)]);
  t.teardown(() => orthanc.stop());
  const dir = tempStateDir(t);
  const a = await startGateway(orthanc.dicomWebUrl, { state: { dir } });
  const created = await createJob(a, 'OFF-1');
  const job = await waitUntil(a, created.id, finished);
  t.is(job.status, 'done', job.message);
  await a.close();
  await orthanc.stop();

  const b = await startGateway(orthanc.dicomWebUrl, { state: { dir }, upstream: { retries: 0 } });
  t.teardown(() => b.close());
  const first = instances.find((i) => i.studyInstanceUid === '2.25.7601')!;
  const studyBytes = instances.filter((i) => i.studyInstanceUid === '2.25.7601').reduce((n, i) => n + i.part10.length, 0);
  const retrieve = await request(`${b.url}/studies/2.25.7601`, { headers: { accept: ANY_TS_DICOM } });
  const body = Buffer.from(await retrieve.body.arrayBuffer());
  t.is(retrieve.statusCode, 200, 'study retrieve');
  t.true(body.length >= studyBytes, `multipart body ${body.length} bytes holds the ${studyBytes} bytes of the study`);
  const metadata = await request(`${b.url}/studies/2.25.7601/metadata`);
  const datasets = retrieve.statusCode === 200 ? ((await metadata.body.json()) as unknown[]) : [];
  t.is(metadata.statusCode, 200, 'study metadata');
  t.is(datasets.length, 6);
  const frame = await request(`${b.url}/studies/2.25.7601/series/${first.seriesInstanceUid}/instances/${first.sopInstanceUid}/frames/1`, { headers: { accept: ANY_TS_FRAMES } });
  await frame.body.dump();
  t.is(frame.statusCode, 200, 'frame');
});
