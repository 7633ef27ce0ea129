/**
 * The edge cache through a gateway in front of a fake archive that counts
 * requests and holds answers back on demand: a viewer asking a study, or frames
 * of an instance, while a prefetch downloads it shares those downloads (no
 * second fetch); concurrent fetchInstance calls cost one download; above
 * edge.maxBytes the least recently used study goes.
 */
import anyTest, { type TestFn } from 'ava';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { generateStudy, type GeneratedInstance } from '../../scripts/fixtures/generate.js';
import { startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames } from '../support/frames-expect.js';
import type { EdgeCache } from '../../src/edge/types.js';

const test = anyTest as TestFn;
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const MiB = 1024 * 1024;

function study(instances: number, rows = 32, frames = 1): GeneratedInstance[] {
  return generateStudy({ patientName: 'Edge^Sharing', patientId: 'EDGE-S', birthDate: '19700101', sex: 'O', studyDate: '20240101', series: [{ modality: 'CT', instances, rows, columns: rows, frames }] });
}

const uidsOf = (i: GeneratedInstance) => ({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid });
const instancePath = (i: GeneratedInstance) => `/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;

function metadataOf(instances: GeneratedInstance[]): Buffer {
  return Buffer.from(JSON.stringify(instances.map((i) => ({ '0020000E': { vr: 'UI', Value: [i.seriesInstanceUid] }, '00080018': { vr: 'UI', Value: [i.sopInstanceUid] } }))));
}

/** A fake archive serving instance and series retrieves; instances (or series) in `held` wait until `release()`. */
async function archive(instances: GeneratedInstance[], held: Set<string> = new Set()): Promise<FakeUpstream & { release(): void; instanceRequests(uid: string): number }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const fake = await startFakeUpstream((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    // QIDO-RS for the study or series with its instance count: what the gateway asks before the edge answers it whole.
    const search = /^\/dicom-web\/studies(?:\/([^/?]+)\/series)?\?(?:Study|Series)InstanceUID=([^&]+)/.exec(url);
    if (search) {
      const held = instances.filter((i) => (search[1] ? i.seriesInstanceUid : i.studyInstanceUid) === search[2]);
      const rows = held.length === 0 ? [] : [{ [search[1] ? '00201209' : '00201208']: { vr: 'IS', Value: [held.length] } }];
      return void res.writeHead(200, { 'content-type': 'application/dicom+json' }).end(JSON.stringify(rows));
    }
    const uid = url.split('/instances/')[1] ?? url.split('/series/')[1] ?? '';
    const found = instances.filter((i) => i.sopInstanceUid === uid || (!url.includes('/instances/') && i.seriesInstanceUid === uid));
    void (held.has(uid) ? gate : Promise.resolve()).then(() => {
      if (found.length === 0) return void res.writeHead(404).end();
      const boundary = 'fake-boundary';
      res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
      const parts = found.map((i, n) => Buffer.concat([Buffer.from(`${n === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), i.part10]));
      res.end(Buffer.concat([...parts, Buffer.from(`\r\n--${boundary}--\r\n`)]));
    });
  });
  return { ...fake, release, instanceRequests: (u: string) => fake.requests.filter((r) => r.url.endsWith(`/instances/${u}`)).length };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

async function fill(edge: EdgeCache, instances: GeneratedInstance[]): Promise<void> {
  await edge.putStudyMetadata(instances[0]!.studyInstanceUid, metadataOf(instances));
  for (const i of instances) await edge.fetchInstance(uidsOf(i));
  await edge.markStudyComplete(instances[0]!.studyInstanceUid);
}

async function withGateway(t: import('ava').ExecutionContext, url: string, overrides: Record<string, unknown> = {}): Promise<RunningGateway> {
  const gw = await startGateway(url, { upstream: { retries: 0 }, ...overrides });
  t.teardown(() => gw.close());
  return gw;
}

test('a viewer asking a study while its prefetch runs gets it as it arrives, sharing the downloads', async (t) => {
  const instances = study(4);
  const fake = await archive(instances, new Set(instances.slice(1).map((i) => i.sopInstanceUid)));
  t.teardown(() => fake.close());
  const gw = await withGateway(t, fake.url);
  const { edge } = gw.gateway;
  await edge.putStudyMetadata(instances[0]!.studyInstanceUid, metadataOf(instances));
  await edge.fetchInstance(uidsOf(instances[0]!));
  const prefetching = Promise.all(instances.slice(1).map((i) => edge.fetchInstance(uidsOf(i))));
  await until(() => edge.stats().inFlight === 3);
  const viewer = await request(`${gw.url}/studies/${instances[0]!.studyInstanceUid}`, { headers: { accept: ANY_TS } });
  t.is(viewer.statusCode, 200);
  t.is(viewer.headers['x-gateway-cache'], 'EDGE');
  fake.release();
  const body = Buffer.from(await viewer.body.arrayBuffer());
  await prefetching;
  for (const i of instances) {
    t.true(body.includes(i.part10), `part of ${i.sopInstanceUid}`);
    t.is(fake.instanceRequests(i.sopInstanceUid), 1, 'downloaded once');
  }
  t.is(fake.requests.length, 4, 'nothing else asked of the archive');
});

test('frames of an instance being prefetched share that download; concurrent fetches cost one', async (t) => {
  const [instance] = study(1, 64, 3);
  const fake = await archive([instance!], new Set([instance!.sopInstanceUid]));
  t.teardown(() => fake.close());
  const gw = await withGateway(t, fake.url);
  const { edge } = gw.gateway;
  const prefetches = Array.from({ length: 5 }, () => edge.fetchInstance(uidsOf(instance!)));
  await until(() => edge.stats().inFlight === 1);
  const frames = getFrames(`${gw.url}${instancePath(instance!)}/frames/2`, AS_STORED);
  await until(() => fake.requests.length > 0);
  fake.release();
  const answer = await frames;
  t.is(answer.status, 200, answer.text);
  t.is(answer.headers['x-gateway-cache'], 'EDGE');
  t.is(answer.parts[0]!.body.length, 64 * 64 * 2);
  t.is(new Set((await Promise.all(prefetches)).map((i) => i.path)).size, 1);
  t.is(fake.requests.length, 1, 'one upstream request for five prefetch calls and a viewer');
  t.is(edge.stats().downloads, 1);
  t.like(gw.gateway.statusSources.instanceStore?.() as object, { downloads: 0, localCopies: 1 });
});

test('a viewer asking frames of an instance while its series downloads waits for that part: one series request, no instance request', async (t) => {
  const instances = study(3, 64, 3);
  const seriesUid = instances[0]!.seriesInstanceUid;
  const fake = await archive(instances, new Set([seriesUid]));
  t.teardown(() => fake.close());
  const gw = await withGateway(t, fake.url);
  const { edge } = gw.gateway;
  const prefetching = edge.fetchSeries(instances[0]!.studyInstanceUid, seriesUid, instances.map(uidsOf));
  await until(() => edge.stats().inFlight === 3 && fake.requests.length === 1);
  const asked: string[] = [];
  const fetchInstance = edge.fetchInstance.bind(edge);
  edge.fetchInstance = (uids, signal) => {
    asked.push(uids.instance);
    return fetchInstance(uids, signal);
  };
  const frames = getFrames(`${gw.url}${instancePath(instances[1]!)}/frames/2`, AS_STORED);
  await until(() => asked.length > 0); // the frame handler is waiting on the edge
  t.deepEqual(asked, [instances[1]!.sopInstanceUid]);
  fake.release();
  const answer = await frames;
  t.is(answer.status, 200, answer.text);
  t.is(answer.headers['x-gateway-cache'], 'EDGE');
  t.is(answer.parts[0]!.body.length, 64 * 64 * 2);
  const fetched = await prefetching;
  t.is(fetched.error, undefined);
  t.deepEqual(fetched.remaining, []);
  t.deepEqual(fake.requests.map((r) => r.url), [`/dicom-web/studies/${instances[0]!.studyInstanceUid}/series/${seriesUid}`], 'the series request only');
  t.like(edge.stats(), { seriesRequests: 1, instanceRequests: 0, downloads: 3 });
  t.like(gw.gateway.statusSources.instanceStore?.() as object, { downloads: 0, localCopies: 1 });
});

test('above edge.maxBytes the least recently used study is evicted whole; WADO then asks the archive', async (t) => {
  // 256×256×2 ≈ 128 KiB per instance, three per study: two studies fit in 1 MiB, three do not.
  const [a, b, c] = [study(3, 256), study(3, 256), study(3, 256)];
  const fake = await archive([...a!, ...b!, ...c!]);
  t.teardown(() => fake.close());
  const gw = await withGateway(t, fake.url, { edge: { maxBytes: MiB } });
  const { edge } = gw.gateway;
  await fill(edge, a!);
  await fill(edge, b!);
  const readA = await request(`${gw.url}/studies/${a![0]!.studyInstanceUid}`, { headers: { accept: ANY_TS } });
  await readA.body.dump();
  t.is(readA.headers['x-gateway-cache'], 'EDGE', 'reading a makes it the most recently used');
  await fill(edge, c!);
  t.is(await edge.studySummary(b![0]!.studyInstanceUid), undefined, 'b evicted');
  t.like(await edge.studySummary(a![0]!.studyInstanceUid), { complete: true });
  t.like(await edge.studySummary(c![0]!.studyInstanceUid), { complete: true });
  t.like(edge.stats(), { studies: 2, evictions: 1 });
  const one = b![0]!;
  const fromArchive = await request(`${gw.url}${instancePath(one)}`, { headers: { accept: ANY_TS } });
  await fromArchive.body.dump();
  t.is(fromArchive.statusCode, 200);
  t.not(fromArchive.headers['x-gateway-cache'], 'EDGE');
});

test('STOW-RS into a study drops its edge metadata and completeness; its instances stay', async (t) => {
  const instances = study(2);
  const fake = await archive(instances);
  t.teardown(() => fake.close());
  const gw = await withGateway(t, fake.url);
  await fill(gw.gateway.edge, instances);
  const studyUid = instances[0]!.studyInstanceUid;
  t.like(await gw.gateway.edge.studySummary(studyUid), { complete: true });
  for (const listener of gw.gateway.onStudyChanged) listener(studyUid); // what a STOW-RS into the study triggers
  await until(() => gw.gateway.edge.stats().bytes === instances.reduce((n, i) => n + i.part10.length, 0));
  t.like(await gw.gateway.edge.studySummary(studyUid), { complete: false, instances: 2 });
  t.is(await gw.gateway.edge.getStudyMetadata(studyUid), undefined);
  t.truthy(await gw.gateway.edge.getInstance(uidsOf(instances[0]!)));
});
