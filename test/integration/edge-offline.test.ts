/**
 * The edge cache against a real Orthanc that the test stops: once an edge is
 * filled the way a prefetch job fills it (fetchInstance for every instance of
 * the study metadata, putStudyMetadata, markStudyComplete), WADO-RS retrieve,
 * metadata, frames, bulk data, rendered images and thumbnails of that study are served with the archive
 * down (PS3.18 §10.4), across a gateway restart; a damaged edge file is not
 * served; a study the edge does not hold gets a clear 5xx.
 * Tests are serial: they share one Orthanc that is stopped and started again.
 */
import anyTest, { type TestFn } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../../scripts/orthanc/harness.js';
import { generateStudy, type GeneratedInstance, type StudySpec } from '../../scripts/fixtures/generate.js';
import { loadIntoOrthanc } from '../../scripts/fixtures/load.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { AS_STORED, getFrames, type FrameAnswer } from '../support/frames-expect.js';
import type { EdgeCache } from '../../src/edge/types.js';

const test = anyTest.serial as TestFn;
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

const PREFETCHED: StudySpec = {
  patientName: 'Edge^Offline', patientId: 'EDGE-001', birthDate: '19700101', sex: 'F', studyDate: '20240301', studyInstanceUid: '2.25.7001',
  series: [
    { modality: 'CT', instances: 3, rows: 64, columns: 64, seriesInstanceUid: '2.25.7001.1' },
    { modality: 'MR', instances: 1, rows: 32, columns: 32, frames: 4, seriesInstanceUid: '2.25.7001.2' },
  ],
};
const NOT_PREFETCHED: StudySpec = {
  patientName: 'Edge^Other', patientId: 'EDGE-002', birthDate: '19800101', sex: 'M', studyDate: '20240302', studyInstanceUid: '2.25.7002',
  series: [{ modality: 'CT', instances: 1, rows: 32, columns: 32, seriesInstanceUid: '2.25.7002.1' }],
};

interface Fixture {
  storage: string;
  state: string;
  orthanc?: OrthancInstance;
  instances: GeneratedInstance[];
  /** Frames as Orthanc served them before it stopped, by "instance/frame". */
  frames: Map<string, Buffer>;
}

let fx: Fixture;
const ctInstances = () => fx.instances.filter((i) => i.seriesInstanceUid === '2.25.7001.1');
const multiFrame = () => fx.instances.find((i) => i.seriesInstanceUid === '2.25.7001.2')!;
const instancePath = (i: GeneratedInstance) => `/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;
/** Quick failures while Orthanc is down: no retries, and a breaker that opens after a few. */
const OFFLINE_UPSTREAM = { upstream: { retries: 0, breakerThreshold: 3 } };

async function gateway(): Promise<RunningGateway> {
  const url = fx.orthanc?.dicomWebUrl ?? 'http://127.0.0.1:9/dicom-web';
  return startGateway(url, { state: { dir: fx.state }, ...OFFLINE_UPSTREAM });
}

/** What a prefetch job does for one study (src/prefetch calls the same methods). */
async function prefetch(edge: EdgeCache, orthanc: OrthancInstance, study: string): Promise<void> {
  const res = await request(`${orthanc.dicomWebUrl}/studies/${study}/metadata`, { headers: { accept: 'application/dicom+json' } });
  const json = Buffer.from(await res.body.arrayBuffer());
  await edge.putStudyMetadata(study, json);
  const items = JSON.parse(json.toString()) as Array<Record<string, { Value: string[] }>>;
  for (const item of items) await edge.fetchInstance({ study, series: item['0020000E']!.Value[0]!, instance: item['00080018']!.Value[0]! });
  await edge.markStudyComplete(study);
}

anyTest.before(async () => {
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  const storage = mkdtempSync(path.join(os.tmpdir(), 'dwgw-edge-orthanc-'));
  const state = mkdtempSync(path.join(os.tmpdir(), 'dwgw-edge-state-'));
  const orthanc = await startOrthanc({ storageDir: storage });
  const instances = [PREFETCHED, NOT_PREFETCHED].flatMap(generateStudy);
  const loaded = await loadIntoOrthanc(orthanc.baseUrl, instances.map((i) => i.part10));
  if (loaded.failed.length > 0) throw new Error(`Orthanc refused instances: ${JSON.stringify(loaded.failed[0])}`);
  fx = { storage, state, orthanc, instances, frames: new Map() };
  for (const [inst, frame] of [[ctInstances()[0]!, 1], [multiFrame(), 1], [multiFrame(), 3]] as const) {
    const direct = await getFrames(`${orthanc.dicomWebUrl}${instancePath(inst)}/frames/${frame}`, AS_STORED);
    fx.frames.set(`${inst.sopInstanceUid}/${frame}`, direct.parts[0]!.body);
  }
});

anyTest.after.always(async () => {
  await fx?.orthanc?.stop();
  if (fx) for (const dir of [fx.storage, fx.state]) rmSync(dir, { recursive: true, force: true });
});

async function stopOrthanc(): Promise<void> {
  await fx.orthanc?.stop();
  fx.orthanc = undefined;
}

function edgeServed(t: import('ava').ExecutionContext, res: FrameAnswer, what: string): void {
  t.is(res.status, 200, `${what}: ${res.text}`);
  t.is(res.headers['x-gateway-cache'], 'EDGE', what);
}

async function checkRetrieves(t: import('ava').ExecutionContext, gw: RunningGateway): Promise<void> {
  const stored = new Map(fx.instances.map((i) => [i.sopInstanceUid, i.part10]));
  const study = await getFrames(`${gw.url}/studies/2.25.7001`, ANY_TS);
  edgeServed(t, study, 'study retrieve');
  t.is(study.parts.length, 4);
  const sorted = (bodies: Buffer[]) => bodies.map((b) => b.toString('base64')).sort();
  t.true(sorted(study.parts.map((p) => p.body)).join() === sorted(fx.instances.filter((i) => i.studyInstanceUid === '2.25.7001').map((i) => i.part10)).join(), 'byte-identical to what was stored');
  t.regex(String(study.headers['content-type']), /^multipart\/related; type="application\/dicom"; boundary=/);
  t.is(study.parts[0]!.headers['content-type'], 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1');
  const series = await getFrames(`${gw.url}/studies/2.25.7001/series/2.25.7001.1`, ANY_TS);
  edgeServed(t, series, 'series retrieve');
  t.is(series.parts.length, 3);
  const one = ctInstances()[1]!;
  const instance = await getFrames(`${gw.url}${instancePath(one)}`, ANY_TS);
  edgeServed(t, instance, 'instance retrieve');
  t.deepEqual(instance.parts.map((p) => p.body), [stored.get(one.sopInstanceUid)]);
  // The default transfer syntax (Explicit VR Little Endian) is what these are stored in: served too.
  edgeServed(t, await getFrames(`${gw.url}/studies/2.25.7001/series/2.25.7001.2`, 'multipart/related; type="application/dicom"'), 'default Accept');
}

async function checkMetadata(t: import('ava').ExecutionContext, gw: RunningGateway): Promise<void> {
  for (const [suffix, count] of [['/studies/2.25.7001/metadata', 4], ['/studies/2.25.7001/series/2.25.7001.1/metadata', 3], [`${instancePath(multiFrame())}/metadata`, 1]] as const) {
    const res = await request(gw.url + suffix, { headers: { accept: 'application/dicom+json' } });
    const body = await res.body.text();
    t.is(res.statusCode, 200, `${suffix}: ${body}`);
    t.is(res.headers['x-gateway-cache'], 'EDGE', suffix);
    const items = JSON.parse(body) as Array<Record<string, { BulkDataURI?: string }>>;
    t.is(items.length, count, suffix);
    const uri = items[0]!['7FE00010']!.BulkDataURI!;
    t.true(uri.startsWith(`${gw.url}/studies/2.25.7001/series/`), `BulkDataURI points at the gateway: ${uri}`);
  }
}

async function checkFrames(t: import('ava').ExecutionContext, gw: RunningGateway): Promise<void> {
  for (const [inst, frame] of [[ctInstances()[0]!, 1], [multiFrame(), 1], [multiFrame(), 3]] as const) {
    const res = await getFrames(`${gw.url}${instancePath(inst)}/frames/${frame}`, AS_STORED);
    edgeServed(t, res, `frame ${frame} of ${inst.sopInstanceUid}`);
    t.deepEqual(res.parts[0]!.body, fx.frames.get(`${inst.sopInstanceUid}/${frame}`), `frame ${frame} equals Orthanc's`);
  }
  const meta = JSON.parse(await (await request(`${gw.url}${instancePath(ctInstances()[2]!)}/metadata`)).body.text()) as Array<Record<string, { BulkDataURI?: string }>>;
  const bulk = await getFrames(meta[0]!['7FE00010']!.BulkDataURI!, 'multipart/related; type="application/octet-stream"');
  edgeServed(t, bulk, 'pixel data bulk data');
  t.is(bulk.parts[0]!.body.length, 64 * 64 * 2);
}

/** Rendered images and thumbnails: rendered by the gateway from the edge files, described from the edge metadata. */
async function checkRendered(t: import('ava').ExecutionContext, gw: RunningGateway): Promise<void> {
  for (const suffix of [`${instancePath(ctInstances()[0]!)}/rendered`, `${instancePath(multiFrame())}/frames/2/rendered`, '/studies/2.25.7001/series/2.25.7001.1/thumbnail', '/studies/2.25.7001/thumbnail']) {
    const res = await request(gw.url + suffix, { headers: { accept: 'image/jpeg' } });
    const body = Buffer.from(await res.body.arrayBuffer());
    t.is(res.statusCode, 200, `${suffix}: ${body.toString().slice(0, 300)}`);
    t.is(res.headers['content-type'], 'image/jpeg', suffix);
    t.deepEqual([...body.subarray(0, 3)], [0xff, 0xd8, 0xff], `${suffix}: a JPEG`);
  }
}

async function checkNotHeld(t: import('ava').ExecutionContext, gw: RunningGateway): Promise<void> {
  const other = fx.instances.find((i) => i.studyInstanceUid === '2.25.7002')!;
  for (const suffix of ['/studies/2.25.7002', '/studies/2.25.7002/metadata', `${instancePath(other)}/frames/1`]) {
    const res = await request(gw.url + suffix, { headers: { accept: suffix.endsWith('/1') ? AS_STORED : '*/*' } });
    const body = await res.body.text();
    t.true([502, 503, 504].includes(res.statusCode), `${suffix}: ${res.statusCode} ${body}`);
    t.regex(String(res.headers['content-type']), /problem\+json/);
    const problem = JSON.parse(body) as { code: string; detail: string };
    t.regex(problem.code, /^UPSTREAM_|GATEWAY_/);
    if (!suffix.endsWith('/1')) t.regex(problem.detail, /edge cache does not hold it/, suffix);
  }
}

test('a study filled into the edge is served entirely with Orthanc stopped; others get a clear 5xx', async (t) => {
  const gw = await gateway();
  t.teardown(() => gw.close());
  await prefetch(gw.gateway.edge, fx.orthanc!, '2.25.7001');
  t.like(await gw.gateway.edge.studySummary('2.25.7001'), { complete: true, instances: 4 });
  await stopOrthanc();
  await checkRetrieves(t, gw);
  await checkMetadata(t, gw);
  await checkFrames(t, gw);
  await checkRendered(t, gw);
  await checkNotHeld(t, gw);
  const status = JSON.parse(await (await request(`${gw.origin}/status`)).body.text()) as { caches: { edge?: { instances: number } } };
  t.is(status.caches.edge?.instances, 4, '/status shows the edge cache');
});

test('after a gateway restart on the same state, still served with Orthanc stopped', async (t) => {
  const gw = await gateway();
  t.teardown(() => gw.close());
  await checkRetrieves(t, gw);
  await checkMetadata(t, gw);
  await checkFrames(t, gw);
  await checkRendered(t, gw);
  const metrics = await (await request(`${gw.origin}/metrics`)).body.text();
  t.regex(metrics, /gateway_edge_instances 4/);
});

test('a damaged edge file is not served: that instance fails clearly offline, is fetched again online', async (t) => {
  const damaged = ctInstances()[2]!;
  const uids = { study: damaged.studyInstanceUid, series: damaged.seriesInstanceUid, instance: damaged.sopInstanceUid };
  let gw = await gateway();
  const file = (await gw.gateway.edge.listInstances('2.25.7001')).find((i) => i.instance === damaged.sopInstanceUid)!.path;
  const bytes = await readFile(file);
  bytes[bytes.length - 10]! ^= 0xff;
  await writeFile(file, bytes);
  const res = await request(`${gw.url}${instancePath(damaged)}`, { headers: { accept: ANY_TS } });
  const body = await res.body.text();
  t.true([502, 503, 504].includes(res.statusCode), `${res.statusCode} ${body}`);
  t.is(gw.gateway.edge.stats().corrupt, 1);
  edgeServed(t, await getFrames(`${gw.url}${instancePath(ctInstances()[0]!)}`, ANY_TS), 'another instance');
  edgeServed(t, await getFrames(`${gw.url}/studies/2.25.7001/series/2.25.7001.2`, ANY_TS), 'another series');
  const study = await request(`${gw.url}/studies/2.25.7001`, { headers: { accept: ANY_TS } });
  await study.body.dump();
  t.true([502, 503, 504].includes(study.statusCode), 'the study is no longer whole in the edge');
  await gw.close();

  fx.orthanc = await startOrthanc({ storageDir: fx.storage });
  gw = await gateway();
  t.teardown(() => gw.close());
  const again = await getFrames(`${gw.url}${instancePath(damaged)}`, ANY_TS);
  edgeServed(t, again, 'fetched into the edge again');
  t.deepEqual(again.parts[0]!.body, damaged.part10);
  t.is(gw.gateway.edge.stats().downloads, 1);
  t.deepEqual(await readFile((await gw.gateway.edge.getInstance(uids))!.path), damaged.part10);
  edgeServed(t, await getFrames(`${gw.url}/studies/2.25.7001`, ANY_TS), 'whole again');
});
