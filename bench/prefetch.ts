// `npm run bench -- prefetch`: a prefetch job (POST /api/prefetch until its
// `end` event: QIDO, study metadata, every instance into the edge cache, one
// series retrieve per series the edge holds little of) against
// direct WADO-RS retrieval of the same studies from Orthanc (one study retrieve
// after the other, transfer-syntax=*, read to the end). Rounds alternate the
// order; every prefetch runs on a fresh gateway process with an empty state
// folder, so nothing is in its edge cache or metadata cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool, request } from 'undici';
import { orthancAvailable, startOrthanc, type OrthancInstance } from '../scripts/orthanc/harness.js';
import { generateStudy } from '../scripts/fixtures/generate.js';
import type { Cleanup } from './lib/cleanup.js';
import { cpuBetween, CpuProbe, formatUse, meanUse, type CpuUse } from './lib/cpu.js';
import { loadBuffers } from './lib/dicom-data.js';
import { ensureBuilt, startGateway } from './lib/gateway.js';
import { orthancVersion, printMachine } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { formatTable, num } from './lib/table.js';

const STUDIES = 4;
const INSTANCES_PER_STUDY = 100;
const SIZE = 512;
const PATIENT_ID = 'BENCH-PREFETCH';
const ANY_TS = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/**
 * What is measured: direct study retrieval; direct instance retrieval 4 at a
 * time (what fetching instance by instance costs Orthanc and the client, without
 * a disk); prefetch jobs with several `prefetch.instanceConcurrency`.
 */
const TARGETS: Record<string, number | undefined> = { direct: undefined, 'direct-instances': undefined, prefetch: 4, 'prefetch-1': 1, 'prefetch-8': 8 };
const DIRECT_INSTANCE_CONCURRENCY = 4;

interface InstanceRef { study: string; series: string; instance: string }
interface Data { studyUids: string[]; refs: InstanceRef[]; instances: number; bytes: number }
interface RoundResult { ms: number; instances: number; bytes: number; cpu?: CpuUse; detail?: string }
interface Env { orthanc: OrthancInstance; workDir: string; cleanup: Cleanup; options: BenchOptions }

async function loadPatient(orthancBaseUrl: string): Promise<Data> {
  const started = performance.now();
  const data: Data = { studyUids: [], refs: [], instances: 0, bytes: 0 };
  for (let s = 0; s < STUDIES; s++) {
    // One study at a time: 52 MB in memory, not 210.
    const instances = generateStudy({
      patientName: 'BENCH^PREFETCH', patientId: PATIENT_ID, birthDate: '19700101', sex: 'O', studyDate: `2024010${s + 1}`, studyDescription: `bench study ${s + 1}`,
      series: [{ modality: 'CT', instances: INSTANCES_PER_STUDY, rows: SIZE, columns: SIZE }],
    });
    await loadBuffers(orthancBaseUrl, instances.map((i) => i.part10));
    data.studyUids.push(instances[0]!.studyInstanceUid);
    data.refs.push(...instances.map((i) => ({ study: i.studyInstanceUid, series: i.seriesInstanceUid, instance: i.sopInstanceUid })));
    data.instances += instances.length;
    data.bytes += instances.reduce((n, i) => n + i.part10.length, 0);
  }
  console.log(`setup: patient ${PATIENT_ID}: ${STUDIES} studies x ${INSTANCES_PER_STUDY} CT ${SIZE}x${SIZE} (${(data.bytes / 1e6).toFixed(1)} MB) generated and loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return data;
}

/** Reads a retrieve answer to its end: its size and the gateway's X-Gateway-Cache outcome ("none" direct). */
async function readToEnd(url: string): Promise<{ bytes: number; cache: string }> {
  const res = await request(url, { headers: { accept: ANY_TS }, headersTimeout: 60_000, bodyTimeout: 60_000 });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
  return { bytes, cache: String(res.headers['x-gateway-cache'] ?? 'none') };
}

async function directRound(env: Env, data: Data): Promise<RoundResult> {
  const probe = new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid });
  const before = probe.snapshot();
  const started = performance.now();
  let bytes = 0;
  for (const uid of data.studyUids) bytes += (await readToEnd(`${env.orthanc.dicomWebUrl}/studies/${uid}`)).bytes;
  const ms = performance.now() - started;
  const cpu = cpuBetween(before, probe.snapshot());
  const studies = await readStudies(env.orthanc.baseUrl, '/dicom-web', data);
  return { ms, instances: data.instances, bytes, cpu, detail: `${studies}; ${await readFrames(env.orthanc.baseUrl, '/dicom-web', data)}` };
}

async function directInstancesRound(env: Env, data: Data): Promise<RoundResult> {
  const probe = new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid });
  const before = probe.snapshot();
  const started = performance.now();
  let bytes = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < data.refs.length; i = next++) {
      const r = data.refs[i]!;
      const { bytes: read } = await readToEnd(`${env.orthanc.dicomWebUrl}/studies/${r.study}/series/${r.series}/instances/${r.instance}`);
      bytes += read; // not `bytes += await …`: that reads `bytes` before the await and loses the other workers' sums
    }
  };
  await Promise.all(Array.from({ length: DIRECT_INSTANCE_CONCURRENCY }, worker));
  return { ms: performance.now() - started, instances: data.instances, bytes, cpu: cpuBetween(before, probe.snapshot()) };
}

/**
 * What a reader of whole studies does next (an AI pipeline, a migration): the
 * studies again, one after the other. Through the gateway they come from the
 * edge cache the prefetch filled; direct, from Orthanc a second time.
 */
async function readStudies(origin: string, basePath: string, data: Data): Promise<string> {
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  let bytes = 0;
  for (const uid of data.studyUids) {
    const read = await readToEnd(`${origin}${basePath}/studies/${uid}`);
    bytes += read.bytes;
    outcomes[read.cache] = (outcomes[read.cache] ?? 0) + 1;
  }
  const seconds = (performance.now() - started) / 1000;
  return `then the studies again: ${num(bytes / 1e6 / seconds)} MB/s (${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

const FRAMES_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';
const FRAME_CONCURRENCY = 8;

/**
 * What a reader does next: frame 1 of every instance, 8 at a time (a viewer
 * loading the stacks). Through the gateway these come from the edge cache the
 * prefetch filled; direct, from Orthanc. Returns "N frames/s" and the gateway's
 * X-Gateway-Cache outcomes.
 */
async function readFrames(origin: string, basePath: string, data: Data): Promise<string> {
  const pool = new Pool(origin, { connections: FRAME_CONCURRENCY, keepAliveTimeout: 60_000, keepAliveTimeoutThreshold: 0 });
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < data.refs.length; i = next++) {
      const r = data.refs[i]!;
      const res = await pool.request({ method: 'GET', path: `${basePath}/studies/${r.study}/series/${r.series}/instances/${r.instance}/frames/1`, headers: { accept: FRAMES_ACCEPT } });
      for await (const chunk of res.body) void chunk; // read to the end: the socket stays reusable
      if (res.statusCode !== 200) throw new Error(`frames of ${r.instance} answered ${res.statusCode}`);
      const outcome = String(res.headers['x-gateway-cache'] ?? 'none');
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: FRAME_CONCURRENCY }, worker));
  } finally {
    await pool.close();
  }
  const perSecond = data.refs.length / ((performance.now() - started) / 1000);
  return `then frame 1 of each instance: ${num(perSecond)} frames/s (${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')})`;
}

interface EndEvent { status: string; message: string; counts: { instancesDone: number; bytes: number }; startedAt?: string; finishedAt?: string }

/** POST the job and wait for its `end` event on the job's event stream. */
async function runJob(origin: string): Promise<EndEvent> {
  const created = await request(`${origin}/api/prefetch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient: { id: PATIENT_ID } }) });
  const job = (await created.body.json()) as { links?: { events: string }; detail?: string };
  if (created.statusCode !== 202 || !job.links) throw new Error(`POST /api/prefetch answered ${created.statusCode}: ${job.detail ?? ''}`);
  const events = await request(job.links.events, { bodyTimeout: 0 });
  let buffer = '';
  for await (const chunk of events.body) {
    buffer += (chunk as Buffer).toString('utf8');
    const end = /event: end\nid: \d+\ndata: (.*)\n\n/.exec(buffer);
    if (end) {
      events.body.destroy();
      return JSON.parse(end[1]!) as EndEvent;
    }
  }
  throw new Error('the event stream ended without an end event');
}

/** The edge's archive requests as the gateway's /status tells them (series retrieves, instance retrieves). */
async function archiveRequests(origin: string): Promise<string> {
  const res = await request(`${origin}/status`);
  const edge = ((await res.body.json()) as { caches?: { edge?: { seriesRequests?: number; instanceRequests?: number } } }).caches?.edge;
  return `archive requests: ${edge?.seriesRequests ?? '?'} series, ${edge?.instanceRequests ?? '?'} instance`;
}

async function prefetchRound(env: Env, data: Data, instanceConcurrency: number): Promise<RoundResult> {
  const stateDir = mkdtempSync(path.join(env.workDir, 'state-'));
  const configFile = path.join(env.workDir, `${path.basename(stateDir)}.json`);
  writeFileSync(configFile, JSON.stringify({ prefetch: { instanceConcurrency } }));
  const { options } = env;
  const gateway = await startGateway({
    upstreamUrl: env.orthanc.dicomWebUrl, logFile: path.join(env.workDir, 'gateway.log'), main: options.gatewayMain, fromSource: options.fromSource,
    env: { GATEWAY_STATE_DIR: stateDir, GATEWAY_CONFIG: configFile },
    nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
  });
  env.cleanup.add('gateway', () => gateway.stop(), gateway.pid);
  try {
    const probe = new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid, gateway: gateway.pid });
    const before = probe.snapshot();
    const started = performance.now();
    const end = await runJob(gateway.origin);
    const ms = performance.now() - started;
    const cpu = cpuBetween(before, probe.snapshot());
    if (end.status !== 'done' || end.counts.instancesDone !== data.instances) throw new Error(`prefetch ended ${end.status}: ${end.message}`);
    const jobMs = end.startedAt && end.finishedAt ? Date.parse(end.finishedAt) - Date.parse(end.startedAt) : NaN;
    const requests = await archiveRequests(gateway.origin);
    const studies = await readStudies(gateway.origin, gateway.basePath, data);
    const frames = await readFrames(gateway.origin, gateway.basePath, data);
    return { ms, instances: end.counts.instancesDone, bytes: end.counts.bytes, cpu, detail: `job running ${(jobMs / 1000).toFixed(2)} s; ${requests}; "${end.message}"; ${studies}; ${frames}` };
  } finally {
    await gateway.stop();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(configFile, { force: true });
  }
}

const rate = (r: RoundResult) => ({ ips: r.instances / (r.ms / 1000), mbps: r.bytes / 1e6 / (r.ms / 1000) });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function summary(results: Map<string, RoundResult[]>): string {
  const directMbps = median((results.get('direct') ?? []).map((r) => rate(r).mbps));
  const rows = [...results].map(([name, rounds]) => {
    const ips = rounds.map((r) => rate(r).ips);
    const mbps = rounds.map((r) => rate(r).mbps);
    const cpu = meanUse(rounds.map((r) => ({ use: r.cpu, ms: r.ms })));
    return [name, name === 'direct' ? '-' : String(TARGETS[name] ?? DIRECT_INSTANCE_CONCURRENCY), num(median(rounds.map((r) => r.ms / 1000))), `${num(median(ips))} (${num(Math.min(...ips))}-${num(Math.max(...ips))})`,
      `${num(median(mbps))} (${num(Math.min(...mbps))}-${num(Math.max(...mbps))})`, `${num(median(mbps) / directMbps)}x`, formatUse(cpu)];
  });
  const columns = ['target', 'instance concurrency', 'median s', 'instances/s median (min-max)', 'MB/s median (min-max)', 'vs direct', 'CPU cores (mean)'];
  return formatTable(columns.map((header, i) => ({ header, align: i === 0 || i === 6 ? 'left' : 'right' })), rows);
}

function targetsOf(only: readonly string[]): string[] {
  const unknown = only.filter((id) => !(id in TARGETS));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);
  return only.length === 0 ? Object.keys(TARGETS) : [...only];
}

async function measure(env: Env, data: Data, targets: string[]): Promise<Map<string, RoundResult[]>> {
  const results = new Map<string, RoundResult[]>(targets.map((t) => [t, []]));
  for (let round = 1; round <= env.options.rounds; round++) {
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const name of order) {
      const concurrency = TARGETS[name];
      const result = name === 'direct' ? await directRound(env, data) : name === 'direct-instances' ? await directInstancesRound(env, data) : await prefetchRound(env, data, concurrency!);
      results.get(name)!.push(result);
      const { ips, mbps } = rate(result);
      console.log(`round ${round} ${name.padEnd(16)} ${result.instances} instances, ${(result.bytes / 1e6).toFixed(1)} MB in ${(result.ms / 1000).toFixed(2)} s: ${num(ips)} instances/s, ${num(mbps)} MB/s; CPU ${formatUse(result.cpu)}${result.detail ? `; ${result.detail}` : ''}`);
    }
  }
  return results;
}

export async function run(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  const targets = targetsOf(options.only);
  printMachine('prefetch');
  console.log(`schedule: ${options.rounds} rounds, order alternating; each prefetch on a fresh gateway process (empty state folder and edge cache); direct = ${STUDIES} study retrieves from Orthanc one after the other`);
  const available = orthancAvailable();
  if (!available.ok) throw new Error(available.reason);
  if (!options.fromSource && !options.gatewayMain) ensureBuilt((line) => console.log(line));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'dicomweb-gateway-bench-prefetch-'));
  cleanup.add('scratch directory', async () => rmSync(workDir, { recursive: true, force: true }));
  const orthanc = await startOrthanc();
  cleanup.add('Orthanc', () => orthanc.stop(), orthanc.pid);
  console.log(`setup: Orthanc ${await orthancVersion(orthanc.baseUrl)} pid ${orthanc.pid} at ${orthanc.baseUrl}`);
  const data = await loadPatient(orthanc.baseUrl);
  const results = await measure({ orthanc, workDir, cleanup, options }, data, targets);
  console.log(`\n== summary (${options.rounds} rounds; prefetch time = POST to the job's end event)`);
  console.log(summary(results));
}
