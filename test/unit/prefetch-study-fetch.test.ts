/**
 * StudyFetcher against doubles of the archive and the edge cache: instances the
 * edge holds are not downloaded again; an outage ends the study early with a
 * reason; a single failing instance fails the study after the others; aborts
 * are rethrown for the manager.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { MetadataCache } from '../../src/cache/metadata-cache.js';
import type { QidoService } from '../../src/dicomweb/qido/service.js';
import type { EdgeCache, EdgeInstance, InstanceUids, SeriesFetchOptions } from '../../src/edge/types.js';
import { NotFoundError, UpstreamFailureError, UpstreamUnreachableError } from '../../src/http/errors.js';
import { SqlitePrefetchRepository } from '../../src/prefetch/sqlite-repository.js';
import { instancesOf, StudyFetcher } from '../../src/prefetch/study-fetch.js';
import { JobTracker, type JobEvent } from '../../src/prefetch/tracker.js';
import { emptyCounts, type JobStudy, type PrefetchJob } from '../../src/prefetch/types.js';
import { StateDatabase } from '../../src/state/database.js';
import type { UpstreamClient } from '../../src/upstream/client.js';

const log = pino({ level: 'silent' });
const STUDY = '1.2.3';
const BASE = 'http://gw/dicom-web';

function metadata(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => ({
    '0020000D': { vr: 'UI', Value: [STUDY] },
    '0020000E': { vr: 'UI', Value: [`1.2.3.${i % 2}`] },
    '00080018': { vr: 'UI', Value: [`1.2.3.9.${i}`] },
    '7FE00010': { vr: 'OW', BulkDataURI: `http://pacs/dicom-web/studies/${STUDY}/bulk/${i}` },
  }));
}

/**
 * The edge as the prefetch sees it: a map of instances; downloads go through
 * `download`. A series download asks `download` for each instance in turn: a
 * NotFoundError leaves that one out of the answer, any other error breaks it off.
 */
class EdgeDouble {
  readonly held = new Map<string, EdgeInstance>();
  readonly downloads: string[] = [];
  readonly seriesParts: string[] = [];
  readonly seriesRequests: string[] = [];
  readonly complete = new Set<string>();
  metadata?: Buffer;
  constructor(private readonly download: (uids: InstanceUids, signal?: AbortSignal) => Promise<void> = async () => undefined) {}

  edge(): EdgeCache {
    const { held, downloads, complete, seriesParts, seriesRequests } = this;
    const download = (u: InstanceUids, signal?: AbortSignal) => this.download(u, signal);
    const keep = (body: Buffer) => {
      this.metadata = body;
    };
    const entry = (u: InstanceUids): EdgeInstance => ({ ...u, path: '/x', size: 1000, sha256: '', transferSyntax: '1.2.840.10008.1.2.1', sopClass: '1.2' });
    return {
      enabled: true,
      async getInstance(u: InstanceUids) {
        return held.get(u.instance);
      },
      async fetchInstance(u: InstanceUids, signal?: AbortSignal) {
        downloads.push(u.instance);
        await download(u, signal);
        held.set(u.instance, entry(u));
        return entry(u);
      },
      async listInstances(_s: string, series: string) {
        return [...held.values()].filter((i) => i.series === series);
      },
      async fetchSeries(_study: string, series: string, expected: InstanceUids[], options: SeriesFetchOptions = {}) {
        seriesRequests.push(series);
        const stored: EdgeInstance[] = [];
        let error: unknown;
        for (const u of expected) {
          try {
            await download(u, options.signal);
          } catch (err) {
            if (options.signal?.aborted) throw err;
            if (err instanceof NotFoundError) continue;
            error = err;
            break;
          }
          seriesParts.push(u.instance);
          held.set(u.instance, entry(u));
          stored.push(entry(u));
          await options.onStored?.(entry(u));
        }
        const got = new Set(stored.map((i) => i.instance));
        return { stored, remaining: expected.filter((u) => !got.has(u.instance)), error };
      },
      async putStudyMetadata(_s: string, body: Buffer) {
        keep(body);
      },
      async markStudyComplete(s: string) {
        complete.add(s);
      },
      pinStudy: () => () => undefined,
    } as unknown as EdgeCache;
  }
}

function setUp(t: { teardown(fn: () => void): void }, edge: EdgeDouble, instances = 6, emit: (event: JobEvent) => void = () => undefined) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-prefetch-fetch-'));
  const state = new StateDatabase(dir, log);
  t.teardown(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const repo = new SqlitePrefetchRepository(state);
  const upstream = { name: 'PACS', getJson: async () => metadata(instances) } as unknown as UpstreamClient;
  const cache = new MetadataCache({ enabled: true, maxBytes: 1e7, ttlMs: 60_000, staleWhileRevalidateMs: 0, staleIfErrorMs: 0 });
  const qido = { search: async () => ({}) } as unknown as QidoService;
  const fetcher = new StudyFetcher({ upstream, edge: edge.edge(), metadataCache: cache, qido, retry: { retries: 1, initialDelayMs: 1, maxDelayMs: 2 }, instanceConcurrency: 2, log });
  const at = new Date().toISOString();
  const job: PrefetchJob = { id: '00000000-0000-4000-8000-000000000001', status: 'running', patient: { id: 'P' }, pacsIdentities: [], criteria: {}, counts: emptyCounts(), message: '', warnings: [], createdBy: 'u', baseUrl: BASE, studiesListed: true, createdAt: at, updatedAt: at };
  const study: JobStudy = { studyUid: STUDY, position: 0, modalities: ['CT'], status: 'queued', series: 0, instances: 0, instancesDone: 0, instancesReused: 0, bytes: 0 };
  const tracker = new JobTracker(job, [study], { repo, emit });
  return { fetcher, tracker, study: tracker.studies[0]!, cache, repo, job };
}

test('instances already in the edge are not downloaded again; the study ends done and complete; metadata caches are warm', async (t) => {
  const edge = new EdgeDouble();
  const { fetcher, tracker, study, cache, repo, job } = setUp(t, edge);
  await repo.insertJob(job);
  for (const i of [0, 3]) edge.held.set(`1.2.3.9.${i}`, { study: STUDY, series: `1.2.3.${i % 2}`, instance: `1.2.3.9.${i}`, path: '', size: 1000, sha256: '', transferSyntax: '', sopClass: '' });
  await fetcher.fetchStudy(tracker, study, BASE, new AbortController().signal);
  t.like(study, { status: 'done', series: 2, instances: 6, instancesDone: 6, instancesReused: 2, bytes: 6000 });
  t.deepEqual([...edge.downloads, ...edge.seriesParts].sort(), ['1.2.3.9.1', '1.2.3.9.2', '1.2.3.9.4', '1.2.3.9.5']);
  t.deepEqual(edge.seriesRequests.sort(), ['1.2.3.0', '1.2.3.1'], 'one series retrieve per series, the edge holding a third of each');
  t.true(edge.complete.has(STUDY));
  t.regex(edge.metadata!.toString(), /http:\/\/pacs\/dicom-web/, 'the edge keeps the metadata as the archive answered it');
  const warm = await cache.get(JSON.stringify(['metadata', BASE, `/studies/${STUDY}/series/1.2.3.1`]), STUDY, async () => t.fail('not warm') as never);
  t.is(warm.outcome, 'HIT');
  const series = JSON.parse(warm.answer.body.toString()) as Array<Record<string, { BulkDataURI?: string }>>;
  t.is(series.length, 3, 'series metadata derived from the study metadata');
  t.true(series[0]!['7FE00010']!.BulkDataURI!.startsWith(BASE), 'BulkDataURIs point at the gateway');
});

test('an archive outage ends the study early with a reason staff can read', async (t) => {
  const edge = new EdgeDouble(async () => {
    throw new UpstreamUnreachableError('PACS', 'connection refused');
  });
  const { fetcher, tracker, study } = setUp(t, edge, 40);
  await fetcher.fetchStudy(tracker, study, BASE, new AbortController().signal);
  t.is(study.status, 'failed');
  t.is(study.error, 'the archive "PACS" did not answer (connection refused)');
  t.true(edge.downloads.length < 40 * 2, `stopped early: ${edge.downloads.length} attempts for 40 instances`);
});

test('one instance the archive no longer has fails the study after the others were fetched', async (t) => {
  const edge = new EdgeDouble(async (u) => {
    if (u.instance === '1.2.3.9.2') throw new NotFoundError('gone');
  });
  const { fetcher, tracker, study } = setUp(t, edge);
  await fetcher.fetchStudy(tracker, study, BASE, new AbortController().signal);
  t.like(study, { status: 'failed', instancesDone: 5, error: '1 of 6 images could not be fetched: the archive "PACS" no longer holds it' });
  t.is(edge.downloads.filter((d) => d === '1.2.3.9.2').length, 1, 'not found is not retried');
});

test('an abort (cancel, shutdown) is rethrown and aborts the downloads in flight', async (t) => {
  const controller = new AbortController();
  let aborted = 0;
  const edge = new EdgeDouble((_u, signal) => new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => {
      aborted++;
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    });
    setTimeout(() => controller.abort('cancelled'), 5);
  }));
  const { fetcher, tracker, study } = setUp(t, edge);
  await t.throwsAsync(fetcher.fetchStudy(tracker, study, BASE, controller.signal), { name: 'AbortError' });
  t.is(aborted, 2, 'both in-flight downloads saw the abort');
  t.is(study.status, 'running', 'left for the manager to settle');
});

test('a series download counts each instance as it lands (progress per instance, not per series)', async (t) => {
  const done: number[] = [];
  const edge = new EdgeDouble();
  const { fetcher, tracker, study } = setUp(t, edge, 6, (e) => {
    if (e.type === 'progress' && !e.transition) done.push(e.study?.instancesDone ?? -1);
  });
  await fetcher.fetchStudy(tracker, study, BASE, new AbortController().signal);
  t.like(study, { status: 'done', instancesDone: 6, instancesReused: 0 });
  t.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6]);
  t.is(edge.seriesRequests.length, 2);
  t.deepEqual(edge.downloads, [], 'no instance fetched on its own');
});

test('a series answer broken off mid-stream: what came is kept, the rest is fetched instance by instance', async (t) => {
  let broken = false;
  const edge = new EdgeDouble(async (u) => {
    if (u.instance === '1.2.3.9.2' && !broken) {
      broken = true;
      throw new UpstreamFailureError('PACS', 'sent an answer that cannot be read (aborted).', 502, 'UPSTREAM_BAD_RESPONSE');
    }
  });
  const { fetcher, tracker, study } = setUp(t, edge, 6);
  await fetcher.fetchStudy(tracker, study, BASE, new AbortController().signal);
  t.like(study, { status: 'done', instancesDone: 6 });
  t.deepEqual(edge.seriesParts.sort(), ['1.2.3.9.0', '1.2.3.9.1', '1.2.3.9.3', '1.2.3.9.5']);
  t.deepEqual(edge.downloads.sort(), ['1.2.3.9.2', '1.2.3.9.4'], 'the instances after the break, one by one');
});

test('instancesOf keeps valid UIDs once each', (t) => {
  const rows = [...metadata(2), metadata(1)[0], { '0020000D': { Value: ['bad uid'] }, '0020000E': { Value: ['1'] }, '00080018': { Value: ['2'] } }, null];
  t.deepEqual(instancesOf(rows), [{ study: STUDY, series: '1.2.3.0', instance: '1.2.3.9.0' }, { study: STUDY, series: '1.2.3.1', instance: '1.2.3.9.1' }]);
});
