/**
 * The edge cache on a temp folder with a fake archive: index, coalescing,
 * least-recently-used eviction, checksums, restart. Integration with WADO-RS
 * and a real Orthanc: test/integration/edge-*.test.ts.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { StateDatabase } from '../../src/state/database.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { createEdgeCache, EdgeInstanceTooLargeError } from '../../src/edge/index.js';
import type { EdgeCache } from '../../src/edge/types.js';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';

const log = pino({ level: 'silent' });
const MiB = 1024 * 1024;

function study(instances: number, rows = 64): GeneratedInstance[] {
  return generateStudy({ patientName: 'EDGE^UNIT', patientId: 'EDGE-UNIT', birthDate: '19700101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances, rows, columns: rows }] });
}

function metadataOf(instances: GeneratedInstance[]): Buffer {
  return Buffer.from(JSON.stringify(instances.map((i) => ({ '0020000E': { vr: 'UI', Value: [i.seriesInstanceUid] }, '00080018': { vr: 'UI', Value: [i.sopInstanceUid] } }))));
}

const uidsOf = (i: GeneratedInstance) => ({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid });

/** A fake archive answering instance retrieves from `instances`; `gate` holds answers back until released. */
async function archive(instances: GeneratedInstance[], gate?: Promise<void>): Promise<FakeUpstream> {
  const byUid = new Map(instances.map((i) => [i.sopInstanceUid, i]));
  return startFakeUpstream((req: IncomingMessage, res: ServerResponse) => {
    const found = byUid.get((req.url ?? '').split('/instances/')[1] ?? '');
    void (gate ?? Promise.resolve()).then(() => {
      if (!found) {
        res.writeHead(404).end();
        return;
      }
      const boundary = 'fake-boundary';
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
      res.end(Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), found.part10, Buffer.from(`\r\n--${boundary}--\r\n`)]));
    });
  });
}

interface Harness {
  edge: EdgeCache;
  state: StateDatabase;
  upstream: UpstreamClient;
  dir: string;
  reopen(overrides?: Record<string, unknown>): Promise<Harness>;
  close(): Promise<void>;
}

async function open(upstreamUrl: string, dir: string, edgeOverrides: Record<string, unknown> = {}): Promise<Harness> {
  const config = loadConfig({ env: {}, overrides: { upstream: { url: upstreamUrl, retries: 0 }, state: { dir }, edge: { maxBytes: 64 * MiB, ...edgeOverrides } } });
  const state = new StateDatabase(dir, log);
  const upstream = new UpstreamClient(config.upstream, log);
  const edge = createEdgeCache({ config: config.edge, state, upstream, logger: log });
  const h: Harness = {
    edge, state, upstream, dir,
    reopen: async (overrides = edgeOverrides) => {
      await h.close();
      return open(upstreamUrl, dir, overrides);
    },
    async close() {
      if (!state.open) return;
      await edge.close();
      await upstream.close();
      state.close();
    },
  };
  return h;
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-edge-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fake archive with `instances` and an edge in front of it, both closed after the test; with `gated`, answers wait for release(). */
async function setup(t: { teardown(fn: () => unknown): void }, instances: GeneratedInstance[], edgeOverrides: Record<string, unknown> = {}, gated = false) {
  let release: () => void = () => undefined;
  const gate = gated ? new Promise<void>((r) => (release = r)) : undefined;
  const fake = await archive(instances, gate);
  t.teardown(() => fake.close());
  const h = await open(fake.url, tempDir(t), edgeOverrides);
  t.teardown(() => h.close());
  return { fake, h, release };
}

test('fetchInstance stores the file as the archive sent it, with its File Meta facts and checksum', async (t) => {
  const instances = study(2);
  const { h } = await setup(t, instances);
  const got = await h.edge.fetchInstance(uidsOf(instances[0]!));
  t.deepEqual(await readFile(got.path), instances[0]!.part10);
  t.is(got.transferSyntax, '1.2.840.10008.1.2.1');
  t.is(got.sopClass, instances[0]!.sopClassUid);
  t.is(got.size, instances[0]!.part10.length);
  t.regex(got.sha256, /^[0-9a-f]{64}$/);
  t.deepEqual(await h.edge.getInstance(uidsOf(instances[0]!)), got);
  t.is(await h.edge.getInstance(uidsOf(instances[1]!)), undefined);
  t.like(h.edge.stats(), { studies: 1, instances: 1, bytes: got.size, downloads: 1 });
});

test('concurrent fetches of one instance share one download', async (t) => {
  const instances = study(1);
  const { fake, h, release } = await setup(t, instances, {}, true);
  const all = Array.from({ length: 6 }, () => h.edge.fetchInstance(uidsOf(instances[0]!)));
  while (h.edge.stats().inFlight === 0) await new Promise((r) => setImmediate(r));
  t.true(await h.edge.holds(uidsOf(instances[0]!)));
  release();
  const results = await Promise.all(all);
  t.is(new Set(results.map((r) => r.path)).size, 1);
  t.is(fake.requests.length, 1);
  t.is(h.edge.stats().downloads, 1);
});

test('a caller that gives up does not cancel a download another caller waits for', async (t) => {
  const instances = study(1);
  const { h, release } = await setup(t, instances, {}, true);
  const viewer = new AbortController();
  const byViewer = h.edge.fetchInstance(uidsOf(instances[0]!), viewer.signal);
  const byPrefetch = h.edge.fetchInstance(uidsOf(instances[0]!));
  while (h.edge.stats().inFlight === 0) await new Promise((r) => setImmediate(r));
  viewer.abort();
  await t.throwsAsync(byViewer, { name: 'AbortError' });
  release();
  t.is((await byPrefetch).size, instances[0]!.part10.length);
});

test('metadata, completeness and invalidation: instances stay, metadata and the complete flag go', async (t) => {
  const instances = study(3);
  const { h } = await setup(t, instances);
  const studyUid = instances[0]!.studyInstanceUid;
  await h.edge.putStudyMetadata(studyUid, metadataOf(instances));
  t.is(await h.edge.completeInstances(studyUid), undefined);
  for (const i of instances.slice(0, 2)) await h.edge.fetchInstance(uidsOf(i));
  await h.edge.markStudyComplete(studyUid);
  t.false((await h.edge.studySummary(studyUid))!.complete, 'one instance of the metadata is missing');
  await h.edge.fetchInstance(uidsOf(instances[2]!));
  t.like(await h.edge.studySummary(studyUid), { complete: true, instances: 3 });
  t.deepEqual((await h.edge.completeInstances(studyUid))!.map((i) => i.instance), instances.map((i) => i.sopInstanceUid));
  t.is((await h.edge.completeInstances(studyUid, instances[0]!.seriesInstanceUid))!.length, 3);
  t.deepEqual(await h.edge.getStudyMetadata(studyUid), metadataOf(instances));
  await h.edge.invalidateStudy(studyUid);
  t.like(await h.edge.studySummary(studyUid), { complete: false, instances: 3 });
  t.is(await h.edge.getStudyMetadata(studyUid), undefined);
  t.is(await h.edge.completeInstances(studyUid, instances[0]!.seriesInstanceUid), undefined);
  t.is((await h.edge.listInstances(studyUid)).length, 3);
});

test('above maxBytes the least recently used study goes, whole; one instance larger than the cache is refused', async (t) => {
  // 256×256×2 bytes ≈ 128 KiB per instance; three per study ≈ 390 KiB; the cache holds two studies.
  const [a, b, c] = [study(3, 256), study(3, 256), study(3, 256)];
  const big = study(1, 1024); // ≈ 2 MiB
  const { h } = await setup(t, [...a, ...b, ...c, ...big], { maxBytes: MiB });
  for (const i of [...a, ...b]) await h.edge.fetchInstance(uidsOf(i));
  await h.edge.getInstance(uidsOf(a[0]!)); // a is now more recently used than b
  for (const i of c) await h.edge.fetchInstance(uidsOf(i));
  t.truthy(await h.edge.studySummary(a[0]!.studyInstanceUid));
  t.is(await h.edge.studySummary(b[0]!.studyInstanceUid), undefined);
  t.is(await h.edge.getInstance(uidsOf(b[0]!)), undefined);
  t.like(h.edge.stats(), { studies: 2, instances: 6, evictions: 1 });
  t.true(h.edge.stats().bytes <= MiB);
  await t.throwsAsync(h.edge.fetchInstance(uidsOf(big[0]!)), { instanceOf: EdgeInstanceTooLargeError });
  t.deepEqual(await readdir(path.join(h.dir, 'edge', 'tmp', String(process.pid))), [], 'no temp file left behind');
});

test('a damaged file is not served: dropped, counted, and fetched again', async (t) => {
  const instances = study(1);
  const { fake, h } = await setup(t, instances, { verify: 'always' });
  const first = await h.edge.fetchInstance(uidsOf(instances[0]!));
  const bytes = await readFile(first.path);
  bytes[bytes.length - 1]! ^= 0xff;
  await writeFile(first.path, bytes);
  t.is(await h.edge.getInstance(uidsOf(instances[0]!)), undefined);
  t.is(h.edge.stats().corrupt, 1);
  const again = await h.edge.fetchInstance(uidsOf(instances[0]!));
  t.deepEqual(await readFile(again.path), instances[0]!.part10);
  t.is(fake.requests.length, 2);
});

test('verify "once" checks a file before its first serve in each process, unless this process wrote it', async (t) => {
  const instances = study(2);
  const first = await setup(t, instances, { verify: 'once' });
  let h = first.h;
  t.teardown(() => h.close());
  const [a, b] = [uidsOf(instances[0]!), uidsOf(instances[1]!)];
  const written = await h.edge.fetchInstance(a);
  await h.edge.fetchInstance(b);
  const damage = async (file: string) => {
    const bytes = await readFile(file);
    bytes[200]! ^= 0xff;
    await writeFile(file, bytes);
  };
  await damage(written.path);
  t.truthy(await h.edge.getInstance(a), 'written by this process, hashed while written: not read again');
  h = await h.reopen();
  t.is(await h.edge.getInstance(a), undefined, 'checked after a restart');
  t.is(h.edge.stats().corrupt, 1);
  const intact = await h.edge.getInstance(b);
  t.truthy(intact, 'after a restart: checked and intact');
  await damage(intact!.path);
  t.truthy(await h.edge.getInstance(b), 'not checked again in this process');
});

test('after a restart the index is back; rows without files are dropped, stray files removed', async (t) => {
  const instances = study(3);
  const first = await setup(t, instances);
  let h = first.h;
  t.teardown(() => h.close());
  const studyUid = instances[0]!.studyInstanceUid;
  const stored = [];
  for (const i of instances) stored.push(await h.edge.fetchInstance(uidsOf(i)));
  await h.edge.putStudyMetadata(studyUid, metadataOf(instances));
  await h.edge.markStudyComplete(studyUid);
  await h.close();
  rmSync(stored[1]!.path);
  const edgeDir = path.join(h.dir, 'edge');
  await mkdir(path.join(edgeDir, 'tmp', '999999999'), { recursive: true }); // a process that no longer runs
  await writeFile(path.join(edgeDir, 'tmp', '999999999', 'left-over.part'), 'x');
  await mkdir(path.join(edgeDir, 'instances', 'zz'), { recursive: true });
  await writeFile(path.join(edgeDir, 'instances', 'zz', 'orphan.dcm'), 'x');
  h = await h.reopen();
  await h.edge.getInstance(uidsOf(instances[0]!));
  t.like(h.edge.stats(), { studies: 1, instances: 2 });
  t.like(await h.edge.studySummary(studyUid), { complete: false, instances: 2 });
  t.deepEqual(await readdir(path.join(edgeDir, 'tmp')), [String(process.pid)]);
  t.deepEqual(await readdir(path.join(edgeDir, 'instances', 'zz')), []);
  t.deepEqual(await readFile((await h.edge.getInstance(uidsOf(instances[2]!)))!.path), instances[2]!.part10);
  await h.edge.fetchInstance(uidsOf(instances[1]!));
  t.like(await h.edge.studySummary(studyUid), { complete: true, instances: 3 });
});

test('the archive answering 404 rejects with NotFoundError and leaves nothing behind', async (t) => {
  const instances = study(1);
  const { h } = await setup(t, []);
  await t.throwsAsync(h.edge.fetchInstance(uidsOf(instances[0]!)), { name: 'NotFoundError' });
  t.like(h.edge.stats(), { studies: 0, instances: 0, bytes: 0 });
  t.deepEqual(await readdir(path.join(h.dir, 'edge', 'tmp', String(process.pid))), []);
});

test('when every caller gave up, the download is abandoned and nothing is stored', async (t) => {
  const instances = study(1);
  const { h, release } = await setup(t, instances, {}, true);
  const viewer = new AbortController();
  const fetching = h.edge.fetchInstance(uidsOf(instances[0]!), viewer.signal);
  while (h.edge.stats().inFlight === 0) await new Promise((r) => setImmediate(r));
  viewer.abort();
  await t.throwsAsync(fetching, { name: 'AbortError' });
  while (h.edge.stats().inFlight > 0) await new Promise((r) => setImmediate(r));
  release();
  t.like(h.edge.stats(), { instances: 0, bytes: 0 });
  t.is(await h.edge.getInstance(uidsOf(instances[0]!)), undefined);
});
