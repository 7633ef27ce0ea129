/**
 * EdgeCache.fetchSeries against a fake archive: one request per series, the
 * answer split into the edge with the guarantees of fetchInstance (checksums,
 * File Meta facts, index rows, byte bound); parts it was not asked for are
 * dropped; an answer cut mid-stream keeps what was fully written; fetching an
 * instance while its series downloads waits for its part, and fetches it alone
 * when the answer does not bring it; an abort leaves nothing behind.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { loadConfig } from '../../src/config/load.js';
import { createEdgeCache } from '../../src/edge/index.js';
import type { EdgeCache } from '../../src/edge/types.js';
import { StateDatabase } from '../../src/state/database.js';
import { UpstreamClient } from '../../src/upstream/client.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';

const log = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const BOUNDARY = 'fake-series-boundary';

function series(instances: number, rows = 64): GeneratedInstance[] {
  return generateStudy({ patientName: 'EDGE^SERIES', patientId: 'EDGE-SERIES', birthDate: '19700101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances, rows, columns: rows }] });
}

const uidsOf = (i: GeneratedInstance) => ({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid });

const part = (body: Buffer, first: boolean) => Buffer.concat([Buffer.from(`${first ? '' : '\r\n'}--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), body]);

interface ArchiveOptions {
  /** Parts of the series answer (default: every instance). */
  answer?: Buffer[];
  /** Close the connection after this many full parts (and half of the next). */
  cutAfter?: number;
  /** Series answers wait for this. */
  gate?: Promise<void>;
}

/** A fake archive: series retrieves answer `answer` (multipart, close-delimited like Orthanc); instance retrieves answer that instance. */
async function archive(instances: GeneratedInstance[], options: ArchiveOptions = {}): Promise<FakeUpstream> {
  const byUid = new Map(instances.map((i) => [i.sopInstanceUid, i]));
  const answer = options.answer ?? instances.map((i) => i.part10);
  return startFakeUpstream((req: IncomingMessage, res: ServerResponse) => {
    const instanceUid = (req.url ?? '').split('/instances/')[1];
    if (instanceUid !== undefined) {
      const found = byUid.get(instanceUid);
      if (!found) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}` });
      return void res.end(Buffer.concat([part(found.part10, true), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    }
    void (options.gate ?? Promise.resolve()).then(() => {
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`, connection: 'close' });
      const parts = answer.map((body, i) => part(body, i === 0));
      if (options.cutAfter === undefined) return void res.end(Buffer.concat([...parts, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
      const next = parts[options.cutAfter]!;
      res.write(Buffer.concat([...parts.slice(0, options.cutAfter), next.subarray(0, next.length >> 1)]), () => res.socket?.end());
    });
  });
}

async function edgeFor(t: { teardown(fn: () => unknown): void }, fake: FakeUpstream, maxBytes = 64 * MiB): Promise<{ edge: EdgeCache; dir: string }> {
  t.teardown(() => fake.close());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dwgw-edge-series-'));
  const config = loadConfig({ env: {}, overrides: { upstream: { url: fake.url, retries: 0 }, state: { dir }, edge: { maxBytes } } });
  const state = new StateDatabase(dir, log);
  const upstream = new UpstreamClient(config.upstream, log);
  const edge = createEdgeCache({ config: config.edge, state, upstream, logger: log });
  t.teardown(async () => {
    await edge.close();
    await upstream.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { edge, dir };
}

const tempFiles = (dir: string) => readdir(path.join(dir, 'edge', 'tmp', String(process.pid)));
const seriesRequests = (fake: FakeUpstream) => fake.requests.filter((r) => !r.url.includes('/instances/')).length;

test('one request stores the whole series as the archive sent it, with the index rows fetchInstance makes', async (t) => {
  const instances = series(5);
  const fake = await archive(instances);
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const seen: string[] = [];
  const got = await edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf), { onStored: (i) => void seen.push(i.instance) });
  t.deepEqual(got.remaining, []);
  t.is(got.error, undefined);
  t.deepEqual(seen, instances.map((i) => i.sopInstanceUid), 'told of each instance as it landed, in order');
  for (const i of instances) {
    const held = await edge.getInstance(uidsOf(i));
    t.deepEqual(await readFile(held!.path), i.part10);
    t.like(held, { size: i.part10.length, transferSyntax: '1.2.840.10008.1.2.1', sopClass: i.sopClassUid });
    t.deepEqual(held, got.stored.find((s) => s.instance === i.sopInstanceUid));
  }
  t.is(fake.requests.length, 1);
  t.like(edge.stats(), { instances: 5, downloads: 5, seriesRequests: 1, instanceRequests: 0, inFlight: 0 });
  t.deepEqual(await tempFiles(dir), []);
});

test('an instance larger than what is held in memory streams to its file as it comes, byte for byte', async (t) => {
  const instances = generateStudy({ patientName: 'EDGE^BIG', patientId: 'EDGE-BIG', birthDate: '19700101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances: 2, rows: 1024, columns: 1024, frames: 3 }] });
  const fake = await archive(instances);
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const got = await edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf));
  t.is(got.stored.length, 2);
  for (const i of instances) t.deepEqual(await readFile((await edge.getInstance(uidsOf(i)))!.path), i.part10, `${i.part10.length} bytes`);
  t.deepEqual(await tempFiles(dir), []);
});

test('parts not asked for are dropped; an instance the answer lacks is left for fetchInstance, which a waiting caller falls back to', async (t) => {
  const instances = series(4);
  const stranger = series(1)[0]!; // another study's instance in the answer
  const answer = [instances[0]!.part10, stranger.part10, instances[1]!.part10, instances[2]!.part10, Buffer.from('not a DICOM file at all')];
  let open!: () => void;
  const fake = await archive(instances, { answer, gate: new Promise<void>((r) => (open = r)) });
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const asked = [instances[0]!, instances[1]!, instances[3]!].map(uidsOf); // instances[2] held, say: not asked for
  const fetching = edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, asked);
  while (edge.stats().inFlight < 3) await new Promise((r) => setImmediate(r));
  const viewer = edge.fetchInstance(uidsOf(instances[3]!)); // waits for a part that never comes
  open();
  const got = await fetching;
  t.deepEqual(got.stored.map((i) => i.instance), [instances[0]!.sopInstanceUid, instances[1]!.sopInstanceUid]);
  t.deepEqual(got.remaining, [uidsOf(instances[3]!)]);
  t.deepEqual(await readFile((await viewer).path), instances[3]!.part10, 'the waiting caller fetched it alone');
  t.is(fake.requests.filter((r) => r.url.endsWith(`/instances/${instances[3]!.sopInstanceUid}`)).length, 1);
  t.is(await edge.getInstance(uidsOf(instances[2]!)), undefined, 'a part not asked for is not stored');
  t.is(await edge.getInstance(uidsOf(stranger)), undefined);
  t.like(edge.stats(), { instances: 3, seriesRequests: 1, instanceRequests: 1 });
  t.deepEqual(await tempFiles(dir), []);
});

test('an answer cut mid-stream keeps the instances fully written and leaves the rest, with a typed error', async (t) => {
  const instances = series(5, 128);
  const fake = await archive(instances, { cutAfter: 2 });
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const got = await edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf));
  t.deepEqual(got.stored.map((i) => i.instance), instances.slice(0, 2).map((i) => i.sopInstanceUid));
  t.deepEqual(got.remaining, instances.slice(2).map(uidsOf));
  t.regex(String((got.error as { code?: string }).code), /^UPSTREAM_/);
  for (const i of instances.slice(0, 2)) t.deepEqual(await readFile((await edge.getInstance(uidsOf(i)))!.path), i.part10);
  t.is(await edge.getInstance(uidsOf(instances[2]!)), undefined, 'the half-received part is not stored');
  t.like(edge.stats(), { instances: 2, inFlight: 0 });
  t.deepEqual(await tempFiles(dir), []);
});

test('while a series downloads, fetchInstance and copyInstanceTo of its instances wait for their parts: no second request', async (t) => {
  const instances = series(3);
  let open!: () => void;
  const fake = await archive(instances, { gate: new Promise<void>((r) => (open = r)) });
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const fetching = edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf));
  while (edge.stats().inFlight < 3) await new Promise((r) => setImmediate(r));
  t.true(await edge.holds(uidsOf(instances[2]!)));
  t.deepEqual(await edge.arrivingInstances(first!.studyInstanceUid), undefined, 'no stored metadata: nothing listed');
  const viewer = edge.fetchInstance(uidsOf(instances[2]!));
  const copy = path.join(dir, 'copy.dcm');
  const copying = edge.copyInstanceTo(uidsOf(instances[1]!), copy);
  open();
  await fetching;
  t.deepEqual(await readFile((await viewer).path), instances[2]!.part10);
  t.true(await copying);
  t.deepEqual(await readFile(copy), instances[1]!.part10);
  t.is(fake.requests.length, 1, 'only the series request');
});

test('aborting a series download rejects it with an AbortError, fails the waiting claims over to their own fetch, and leaves no temp file', async (t) => {
  const instances = series(3);
  const fake = await archive(instances, { gate: new Promise<void>(() => undefined) }); // the series answer never comes
  const { edge, dir } = await edgeFor(t, fake);
  const [first] = instances;
  const controller = new AbortController();
  const fetching = edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf), { signal: controller.signal });
  while (edge.stats().inFlight < 3) await new Promise((r) => setImmediate(r));
  const viewer = edge.fetchInstance(uidsOf(instances[0]!));
  while (seriesRequests(fake) === 0) await new Promise((r) => setImmediate(r));
  controller.abort();
  await t.throwsAsync(fetching, { name: 'AbortError' });
  t.deepEqual(await readFile((await viewer).path), instances[0]!.part10, 'the viewer is not failed by the prefetch cancel');
  t.like(edge.stats(), { instances: 1, inFlight: 0 });
  t.deepEqual(await tempFiles(dir), []);
});

test('the study being written is never evicted: a series larger than the cache stops with EDGE_FULL, within the bound', async (t) => {
  const instances = series(10, 256); // ≈ 128 KiB each, 1.3 MB in all
  const fake = await archive(instances);
  const { edge } = await edgeFor(t, fake, MiB);
  const [first] = instances;
  const got = await edge.fetchSeries(first!.studyInstanceUid, first!.seriesInstanceUid, instances.map(uidsOf));
  t.is((got.error as { code?: string }).code, 'EDGE_FULL');
  t.true(got.stored.length >= 6 && got.stored.length < 10, `${got.stored.length} stored`);
  t.is(got.stored.length + got.remaining.length, 10);
  t.true(edge.stats().bytes <= MiB);
  t.like(edge.stats(), { studies: 1, instances: got.stored.length, evictions: 0 });
});
