import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { StateDatabase } from '../../src/state/database.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import { assertTransition, canTransition, InvalidTransitionError, outcomeOf, pendingStudies, resetForResume } from '../../src/prefetch/state-machine.js';
import { JobTracker, type JobEvent } from '../../src/prefetch/tracker.js';
import { countsOf, emptyCounts, type JobStudy, type PrefetchJob } from '../../src/prefetch/types.js';

const log = pino({ level: 'silent' });

function study(uid: string, position: number, over: Partial<JobStudy> = {}): JobStudy {
  return { studyUid: uid, position, modalities: ['CT'], status: 'queued', series: 1, instances: 10, instancesDone: 0, instancesReused: 0, bytes: 0, ...over };
}

function job(over: Partial<PrefetchJob> = {}): PrefetchJob {
  const at = '2024-01-01T00:00:00.000Z';
  return {
    id: '11111111-2222-4333-8444-555555555555', status: 'queued', patient: { id: 'P1', issuer: 'H' }, pacsIdentities: [], criteria: { modalities: ['CT'] },
    counts: emptyCounts(), message: 'Queued', warnings: [], createdBy: 'alice', baseUrl: 'http://gw/dicom-web', studiesListed: false, createdAt: at, updatedAt: at, ...over,
  };
}

function withRepo(t: { teardown(fn: () => void): void }): SqlitePrefetchRepository {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-unit-'));
  const state = new StateDatabase(dir, log);
  t.teardown(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return new SqlitePrefetchRepository(state);
}

test('transitions: queued → running → an end, running ↔ queued (pause); ended jobs stay ended', (t) => {
  t.true(canTransition('queued', 'running'));
  t.true(canTransition('queued', 'cancelled'));
  t.true(canTransition('running', 'queued'));
  for (const end of ['done', 'partial', 'failed', 'cancelled'] as const) {
    t.true(canTransition('running', end));
    t.false(canTransition(end, 'running'));
    t.false(canTransition(end, 'queued'));
  }
  t.false(canTransition('queued', 'done'));
  t.throws(() => assertTransition('done', 'running'), { instanceOf: InvalidTransitionError, message: 'a prefetch job cannot go from done to running' });
});

test('the job outcome follows its studies', (t) => {
  t.is(outcomeOf([study('1', 0, { status: 'done' }), study('2', 1, { status: 'done' })]), 'done');
  t.is(outcomeOf([study('1', 0, { status: 'done' }), study('2', 1, { status: 'failed' })]), 'partial');
  t.is(outcomeOf([study('1', 0, { status: 'done' }), study('2', 1, { status: 'skipped' })]), 'partial', 'over the limit');
  t.is(outcomeOf([study('1', 0, { status: 'failed' }), study('2', 1, { status: 'failed' })]), 'failed');
  t.deepEqual(pendingStudies([study('b', 1, { status: 'running' }), study('a', 0, { status: 'done' }), study('c', 2)]).map((s) => s.studyUid), ['b', 'c']);
  t.like(resetForResume(study('r', 0, { status: 'running', instancesDone: 4, instancesReused: 1, bytes: 99 })), { status: 'queued', instancesDone: 0, instancesReused: 0, bytes: 0 });
});

test('counts come from the studies; skipped studies without images do not count as images to fetch', (t) => {
  const counts = countsOf([
    study('1', 0, { status: 'done', series: 2, instances: 10, instancesDone: 10, instancesReused: 3, bytes: 1000 }),
    study('2', 1, { status: 'failed', instances: 5, instancesDone: 2, bytes: 200 }),
    study('3', 2, { status: 'skipped', instances: 7 }),
  ], 4);
  t.deepEqual(counts, { studiesFound: 3, studiesDone: 1, studiesFailed: 1, studiesSkipped: 1, studiesHeld: 4, series: 3, instances: 15, instancesDone: 12, instancesReused: 3, bytes: 1200 });
});

test('the SQLite repository keeps jobs and studies, lists, resumes and forgets past retention', async (t) => {
  const repo = withRepo(t);
  const a = job({ restriction: { patientIds: ['P*'] } });
  await repo.insertJob(a);
  const b = job({ id: '21111111-2222-4333-8444-555555555555', createdBy: 'bob', createdAt: '2024-01-02T00:00:00.000Z' });
  await repo.insertJob(b);
  t.deepEqual(await repo.getJob(a.id), a);
  await repo.saveStudyList({ ...a, studiesListed: true }, [study('1.1', 0), study('1.2', 1, { studyDate: '20240101', description: 'CT' })]);
  await repo.save({ ...a, studiesListed: true, status: 'running' }, [study('1.2', 1, { studyDate: '20240101', description: 'CT', status: 'running', instancesDone: 3, bytes: 30 })]);
  t.like((await repo.listStudies(a.id))[1], { studyUid: '1.2', status: 'running', instancesDone: 3, description: 'CT', studyDate: '20240101' });
  t.deepEqual((await repo.unfinishedJobs()).map((j) => j.id), [a.id, b.id], 'oldest first');
  t.deepEqual((await repo.listJobs({ limit: 10 })).map((j) => j.id), [b.id, a.id], 'newest first');
  t.deepEqual((await repo.listJobs({ limit: 10, createdBy: 'bob' })).map((j) => j.id), [b.id]);
  t.deepEqual((await repo.listJobs({ limit: 10, statuses: ['running'] })).map((j) => j.id), [a.id]);
  await repo.save({ ...a, status: 'done', finishedAt: '2024-01-03T00:00:00.000Z' });
  t.like(await repo.countByStatus(), { done: 1, queued: 1, running: 0 });
  t.is(await repo.deleteFinishedBefore('2024-01-02T00:00:00.000Z'), 0);
  t.is(await repo.deleteFinishedBefore('2024-01-04T00:00:00.000Z'), 1);
  t.is(await repo.getJob(a.id), undefined);
  t.deepEqual(await repo.listStudies(a.id), [], 'studies go with their job');
});

test('the tracker persists transitions at once, progress at most every N instances, and emits both', async (t) => {
  const repo = withRepo(t);
  const j = job();
  await repo.insertJob(j);
  const events: JobEvent[] = [];
  const tracker = new JobTracker(j, [], { repo, emit: (e) => events.push(e), persistEveryMs: 60_000, persistEveryInstances: 5 });
  await tracker.start('Looking');
  t.is((await repo.getJob(j.id))?.status, 'running');
  const s = study('1.1', 0, { instances: 0 });
  await tracker.listStudies([s], 0, []);
  await tracker.startStudy(tracker.studies[0]!);
  await tracker.studyListed(tracker.studies[0]!, 1, 8);
  for (let i = 0; i < 4; i++) await tracker.instanceDone(tracker.studies[0]!, 100, false);
  t.is((await repo.listStudies(j.id))[0]?.instancesDone, 0, 'not yet written');
  await tracker.instanceDone(tracker.studies[0]!, 100, true);
  await tracker.flush();
  t.like((await repo.listStudies(j.id))[0], { instancesDone: 5, instancesReused: 1, bytes: 500 });
  t.is((await repo.getJob(j.id))?.message, "Fetching study 1 of 1 (CT): 5 of 8 images");
  await tracker.finishStudy(tracker.studies[0]!, 'failed', 'the archive "PACS" did not answer');
  await tracker.finish('failed', 'Failed: …');
  t.like(await repo.getJob(j.id), { status: 'failed', message: 'Failed: …' });
  t.is(events.at(-1)?.type, 'end');
  t.true(events.filter((e) => e.type === 'progress' && e.transition).length >= 5);
  await tracker.finish('done', 'again');
  t.is((await repo.getJob(j.id))?.status, 'failed', 'an ended job does not end twice');
});
