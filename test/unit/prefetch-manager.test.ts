/**
 * The manager with a scripted runner: FIFO queue and concurrentJobs, cancel of
 * queued and running jobs, pause on close and resume at the next start.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { GatewayConfig } from '../../src/config/schema.js';
import { StateDatabase } from '../../src/state/database.js';
import { PrefetchManager } from '../../src/prefetch/manager.js';
import { PrefetchMetrics } from '../../src/prefetch/metrics.js';
import { abortError } from '../../src/prefetch/retry.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import type { JobTracker } from '../../src/prefetch/tracker.js';
import { emptyCounts, type PrefetchJob } from '../../src/prefetch/types.js';

const log = pino({ level: 'silent' });
const CONFIG: GatewayConfig['prefetch'] = { enabled: true, concurrentJobs: 1, instanceConcurrency: 1, retries: 0, retryInitialDelayMs: 0, retryMaxDelayMs: 0, maxStudiesPerJob: 10, retentionHours: 1 };

let counter = 0;
function newJob(): PrefetchJob {
  const at = new Date(Date.now() + counter).toISOString();
  const id = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
  return { id, status: 'queued', patient: { id: 'P' }, pacsIdentities: [], criteria: {}, counts: emptyCounts(), message: '', warnings: [], createdBy: 'u', baseUrl: 'http://gw/dicom-web', studiesListed: false, createdAt: at, updatedAt: at };
}

/** A runner whose jobs run until released (or aborted), recording the order they started in. */
class GatedRunner {
  readonly started: string[] = [];
  private readonly gates = new Map<string, () => void>();

  async run(tracker: JobTracker, signal: AbortSignal): Promise<void> {
    await tracker.start('running');
    this.started.push(tracker.job.id);
    await new Promise<void>((resolve, reject) => {
      this.gates.set(tracker.job.id, resolve);
      signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
    });
    await tracker.finish('done', 'Done');
  }

  release(id: string): void {
    this.gates.get(id)?.();
  }
}

function setUp(t: { teardown(fn: () => void): void }, dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-manager-'))) {
  const state = new StateDatabase(dir, log);
  const repo = new SqlitePrefetchRepository(state);
  const runner = new GatedRunner();
  const manager = new PrefetchManager({ repo, runner, config: CONFIG, log, metrics: new PrefetchMetrics(new Registry(), repo) });
  t.teardown(() => {
    void manager.close().then(() => state.close());
  });
  return { dir, state, repo, runner, manager };
}

const until = async (check: () => boolean | Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 5));
};

test('jobs run one at a time in the order they came, the others queued with their place', async (t) => {
  const { manager, runner } = setUp(t);
  const [a, b, c] = [newJob(), newJob(), newJob()];
  for (const j of [a, b, c]) await manager.submit(j);
  await until(() => runner.started.length === 1);
  t.is((await manager.get(a.id))?.job.status, 'running');
  t.is((await manager.get(b.id))?.job.message, 'Queued: starts as soon as a prefetch slot is free (prefetch.concurrentJobs)');
  t.is((await manager.get(c.id))?.job.message, 'Queued: 1 prefetch waiting ahead of this one');
  runner.release(a.id);
  await until(() => runner.started.length === 2);
  runner.release(b.id);
  await until(() => runner.started.length === 3);
  runner.release(c.id);
  await until(async () => (await manager.get(c.id))?.job.status === 'done');
  t.deepEqual(runner.started, [a.id, b.id, c.id]);
  t.like(manager.summary(), { running: 0, queued: 0, jobsFinished: 3 });
});

test('cancel: a queued job never runs; a running one is aborted and ends cancelled', async (t) => {
  const { manager, runner } = setUp(t);
  const [a, b] = [newJob(), newJob()];
  await manager.submit(a);
  await manager.submit(b);
  await until(() => runner.started.length === 1);
  const queued = await manager.cancel(b.id, 'alice');
  t.like(queued?.job, { status: 'cancelled', message: 'Cancelled by alice before any study was fetched' });
  const running = await manager.cancel(a.id, 'bob');
  t.is(running?.job.status, 'cancelled');
  t.regex(running?.job.message ?? '', /^Cancelled by bob/);
  t.deepEqual(runner.started, [a.id]);
  t.is(await manager.cancel('00000000-0000-4000-8000-999999999999', 'x'), undefined);
});

test('close pauses running jobs as resumable; the next start resumes them first', async (t) => {
  const first = setUp(t);
  const [a, b] = [newJob(), newJob()];
  await first.manager.submit(a);
  await first.manager.submit(b);
  await until(() => first.runner.started.length === 1);
  await first.manager.close();
  const paused = await first.repo.getJob(a.id);
  t.is(paused?.status, 'queued');
  t.regex(paused?.message ?? '', /^Paused: the gateway was shut down/);
  t.is((await first.repo.getJob(b.id))?.status, 'queued');
  first.state.close();

  const second = setUp(t, first.dir);
  t.teardown(() => rmSync(first.dir, { recursive: true, force: true }));
  await second.manager.start();
  await until(() => second.runner.started.length === 1);
  t.deepEqual(second.runner.started, [a.id], 'the interrupted job first');
  second.runner.release(a.id);
  await until(() => second.runner.started.length === 2);
  second.runner.release(b.id);
  await until(async () => (await second.manager.get(b.id))?.job.status === 'done');
  t.is((await second.manager.get(a.id))?.job.status, 'done');
});

test('finished jobs past retention are deleted at start', async (t) => {
  const { manager, repo } = setUp(t);
  const old = { ...newJob(), status: 'done' as const, finishedAt: new Date(Date.now() - 2 * 3_600_000).toISOString() };
  await repo.insertJob(old);
  const recent = { ...newJob(), status: 'done' as const, finishedAt: new Date().toISOString() };
  await repo.insertJob(recent);
  await manager.start();
  t.is(await repo.getJob(old.id), undefined);
  t.truthy(await repo.getJob(recent.id));
});
