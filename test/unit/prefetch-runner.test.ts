/**
 * The runner with doubles of the identity layer, the QIDO search and the study
 * fetcher: how a job ends for an unlinked EHR patient, a search the archive
 * never answers, a patient over the per-job limit, held studies, and a patient
 * without matching studies.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { makeAnswer } from '../../src/cache/metadata-cache.js';
import type { QidoService } from '../../src/dicomweb/qido/service.js';
import { UpstreamUnreachableError } from '../../src/http/errors.js';
import type { IdentityResolver, StudyRow } from '../../src/identity/resolver.js';
import { JobRunner } from '../../src/prefetch/runner.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import type { StudyFetcher } from '../../src/prefetch/study-fetch.js';
import { JobTracker } from '../../src/prefetch/tracker.js';
import { emptyCounts, type PrefetchJob } from '../../src/prefetch/types.js';
import { StateDatabase } from '../../src/state/database.js';

const log = pino({ level: 'silent' });

const row = (uid: string, date: string): StudyRow => ({
  '0020000D': { vr: 'UI', Value: [uid] }, '00080020': { vr: 'DA', Value: [date] }, '00100020': { vr: 'LO', Value: ['P1'] },
  '00080061': { vr: 'CS', Value: ['CT'] }, '00201206': { vr: 'IS', Value: [1] }, '00201208': { vr: 'IS', Value: [3] },
});

interface Doubles {
  identity?: Partial<IdentityResolver>;
  search?: () => Promise<StudyRow[]>;
  maxStudies?: number;
}

async function runJob(t: { teardown(fn: () => void): void }, doubles: Doubles) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-runner-'));
  const state = new StateDatabase(dir, log);
  t.teardown(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const repo = new SqlitePrefetchRepository(state);
  const identity: IdentityResolver = {
    resolve: async (asked) => ({ asked, ehr: false, pacs: [asked] }),
    screenStudies: async (_r, rows) => ({ kept: rows, held: 0 }),
    ...doubles.identity,
  };
  const search = doubles.search ?? (async () => []);
  const qido = { search: async () => ({ answer: makeAnswer(200, Buffer.from(JSON.stringify(await search()))) }) } as unknown as QidoService;
  const fetched: string[] = [];
  const fetcher: Pick<StudyFetcher, 'fetchStudy'> = {
    async fetchStudy(tracker, study) {
      fetched.push(study.studyUid);
      await tracker.startStudy(study);
      study.instancesDone = study.instances;
      await tracker.finishStudy(study, 'done');
    },
  };
  const runner = new JobRunner({ identity, qido, fetcher, retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 2 }, maxStudiesPerJob: doubles.maxStudies ?? 10, upstreamName: 'PACS', log });
  const at = new Date().toISOString();
  const job: PrefetchJob = { id: '00000000-0000-4000-8000-0000000000a1', status: 'queued', patient: { id: 'E1', issuer: 'EHR' }, pacsIdentities: [], criteria: { studyDate: { from: '20240101' } }, counts: emptyCounts(), message: '', warnings: [], createdBy: 'u', baseUrl: 'http://gw/dicom-web', studiesListed: false, createdAt: at, updatedAt: at };
  await repo.insertJob(job);
  const tracker = new JobTracker(job, [], { repo, emit: () => undefined });
  await runner.run(tracker, new AbortController().signal);
  return { job: tracker.job, studies: tracker.studies, fetched, stored: await repo.getJob(job.id) };
}

test('an EHR patient without a link fails, naming the reconciliation item', async (t) => {
  const { job, stored } = await runJob(t, { identity: { resolve: async (asked) => ({ asked, ehr: true, pacs: [], reconciliationId: 'R-7' }) } });
  t.is(job.status, 'failed');
  t.regex(job.message, /^Failed: this EHR patient is not linked to a patient in the archive yet; reconciliation item R-7 lists the candidates/);
  t.like(job.error, { code: 'PATIENT_NOT_LINKED' });
  t.is(stored?.reconciliationId, 'R-7');
});

test('a search the archive never answers fails the job after the retries, with the reason', async (t) => {
  let calls = 0;
  const { job } = await runJob(t, { search: async () => {
    calls++;
    throw new UpstreamUnreachableError('PACS', 'connection refused');
  } });
  t.is(calls, 3);
  t.is(job.status, 'failed');
  t.is(job.message, 'Failed: the archive could not be searched for the patient\'s studies: the archive "PACS" did not answer (connection refused)');
});

test('over the per-job limit: the newest studies are fetched, the others skipped with the reason, the job partial', async (t) => {
  const rows = [row('1.1', '20240101'), row('1.3', '20240301'), row('1.2', '20240201')];
  const { job, studies, fetched } = await runJob(t, { search: async () => rows, maxStudies: 2 });
  t.deepEqual(fetched, ['1.3', '1.2']);
  t.deepEqual(studies.map((s) => [s.studyUid, s.status]), [['1.3', 'done'], ['1.2', 'done'], ['1.1', 'skipped']]);
  t.is(job.status, 'partial');
  t.regex(job.message, /^Partial: 2 of 3 studies fetched \(6 images, .*\); 1 not fetched: more than the limit of 2 studies per prefetch$/);
  t.deepEqual(job.warnings, ['1 of 3 studies are over the limit of 2 studies per prefetch and were not fetched']);
  t.like(job.counts, { studiesFound: 3, studiesSkipped: 1, instances: 6 });
});

test('held and excluded studies are counted and explained; the job fetches the rest', async (t) => {
  const rows = [row('1.1', '20240101'), row('1.2', '20240201')];
  const { job, fetched } = await runJob(t, {
    search: async () => rows,
    identity: {
      resolve: async (asked) => ({ asked, ehr: true, pacs: [{ id: 'P1' }] }),
      screenStudies: async (_r, kept) => ({ kept: kept.slice(0, 1), held: 1, reconciliationIds: ['R-9'], excluded: 2 }),
    },
  });
  t.deepEqual(fetched, ['1.1']);
  t.is(job.status, 'done');
  t.like(job.counts, { studiesFound: 1, studiesHeld: 1 });
  t.deepEqual(job.warnings, [
    '1 study was held back for reconciliation: the patient details in the archive disagree with the EHR link (reconciliation item R-9)',
    "2 studies were left out: a reconciliation decided they are not this patient's",
  ]);
  t.deepEqual(job.pacsIdentities, [{ id: 'P1' }]);
});

test('no matching studies: done, and the message says what was asked', async (t) => {
  const { job } = await runJob(t, {});
  t.is(job.status, 'done');
  t.is(job.message, 'Done: no studies of this patient in the archive match (dates from 2024-01-01)');
});
