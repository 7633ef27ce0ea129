// `npm run bench -- load`: mixed QIDO / metadata / frame traffic against the
// gateway for --duration seconds while Orthanc is stopped at 1/3 of the run and
// started again (same storage, same port) at 1/2: what clients see during the
// outage, and how long the gateway takes to serve normally again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startOrthanc } from '../scripts/orthanc/harness.js';
import type { Cleanup } from './lib/cleanup.js';
import { cpuBetween, CpuProbe, formatUse, type CpuSnapshot } from './lib/cpu.js';
import { orthancVersion, printMachine } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { formatMb, sampleMemory } from './lib/rss.js';
import { setUp, type Environment } from './lib/setup.js';
import { printOutcomes } from './load-report.js';
import { runTraffic, type RequestKind } from './load-traffic.js';

type DicomJson = Record<string, { Value?: unknown[] }>;
const first = (o: DicomJson, tag: string) => String(o[tag]?.Value?.[0] ?? '');

interface Instance { study: string; series: string; sop: string; patient: string }

async function listInstances(orthancBaseUrl: string): Promise<Instance[]> {
  const res = await request(`${orthancBaseUrl}/dicom-web/instances?limit=1000&includefield=00100020`, { headersTimeout: 30_000, bodyTimeout: 30_000 });
  const rows = (await res.body.json()) as DicomJson[];
  return rows.map((r) => ({ study: first(r, '0020000D'), series: first(r, '0020000E'), sop: first(r, '00080018'), patient: first(r, '00100020') }));
}

function requestKinds(basePath: string, instances: Instance[]): RequestKind[] {
  const patients = [...new Set(instances.map((i) => i.patient))];
  const series = [...new Map(instances.map((i) => [i.series, i])).values()];
  const pick = <T>(list: T[], n: number) => list[n % list.length]!;
  return [
    // Growing limit: every QIDO URL is new, so each one needs Orthanc.
    { kind: 'qido', accept: 'application/dicom+json', path: (n) => `${basePath}/studies?PatientID=${pick(patients, n)}&limit=${100 + n}` },
    { kind: 'metadata', accept: 'application/dicom+json', path: (n) => { const s = pick(series, n); return `${basePath}/studies/${s.study}/series/${s.series}/metadata`; } },
    { kind: 'frame', accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*', path: (n) => { const i = pick(instances, n); return `${basePath}/studies/${i.study}/series/${i.series}/instances/${i.sop}/frames/1`; } },
  ];
}

interface Events { stoppedAtMs?: number; restartAtMs?: number; answersAtMs?: number }

/** Stops Orthanc at 1/3 of the run, starts it again at 1/2; records when. */
async function outage(env: Environment, cleanup: Cleanup, durationMs: number, t0: number, events: Events, probes: CpuSnapshot[][]): Promise<void> {
  const phase1 = new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid, gateway: env.gateway.pid });
  probes.push([phase1.snapshot()!]);
  await sleep(durationMs / 3);
  probes[0]!.push(phase1.snapshot()!);
  await env.orthanc.stop();
  events.stoppedAtMs = performance.now() - t0;
  await sleep(Math.max(0, t0 + durationMs / 2 - performance.now()));
  events.restartAtMs = performance.now() - t0;
  const again = await startOrthanc({ storageDir: env.orthanc.storageDir, httpPort: env.orthanc.httpPort });
  cleanup.add('Orthanc (restarted)', () => again.stop(), again.pid);
  events.answersAtMs = performance.now() - t0;
  const phase2 = new CpuProbe({ bench: process.pid, orthanc: again.pid, gateway: env.gateway.pid });
  probes.push([phase2.snapshot()!]);
  await sleep(Math.max(0, t0 + durationMs - performance.now()));
  probes[1]!.push(phase2.snapshot()!);
}

export async function run(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  printMachine('load');
  const durationMs = options.duration * 1000;
  console.log(`schedule: ${options.duration} s of mixed traffic, concurrency ${options.concurrency}; Orthanc stopped at ${(options.duration / 3).toFixed(0)} s, restarted at ${(options.duration / 2).toFixed(0)} s`);
  const storageDir = mkdtempSync(path.join(os.tmpdir(), 'dicomweb-gateway-bench-storage-'));
  cleanup.add('Orthanc storage', async () => rmSync(storageDir, { recursive: true, force: true }));
  const env = await setUp(cleanup, {
    population: { studies: 20, seed: options.seed, seriesPerStudy: 2, instancesPerSeries: 10, rows: 64, columns: 64 },
    orthanc: { storageDir }, gatewayMain: options.gatewayMain, gatewayFromSource: options.fromSource,
  });
  console.log(`setup: Orthanc ${await orthancVersion(env.orthanc.baseUrl)}`);
  const instances = await listInstances(env.orthanc.baseUrl);
  const kinds = requestKinds(env.gateway.basePath, instances);
  const rssStart = sampleMemory(env.gateway.pid);
  const events: Events = {};
  const probes: CpuSnapshot[][] = [];
  const t0 = performance.now();
  const [outcomes] = await Promise.all([
    runTraffic({ origin: env.gateway.origin, kinds, concurrency: options.concurrency, durationMs, maxRequests: options.maxRequestsPerRound * 10 }, t0),
    outage(env, cleanup, durationMs, t0, events, probes),
  ]);
  const rssEnd = sampleMemory(env.gateway.pid);
  printOutcomes(outcomes, events, durationMs);
  probes.forEach(([a, b], k) => console.log(`CPU cores busy, ${k === 0 ? 'before the outage' : 'after the restart'}: ${formatUse(cpuBetween(a, b))}`));
  console.log(`gateway RSS: ${formatMb(rssStart?.rssKb)} at start, ${formatMb(rssEnd?.rssKb)} at end (peak ${formatMb(rssEnd?.hwmKb)})`);
}
