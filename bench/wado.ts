// `npm run bench -- wado`: WADO-RS through the gateway vs Orthanc direct
// (series retrieve, frames, metadata, rendered), measured in interleaved rounds,
// and the gateway's peak memory while one slow client streams >= 1 GB.
import type { Cleanup } from './lib/cleanup.js';
import { checkBothAnswer } from './lib/check.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuProbe, cpuBetween } from './lib/cpu.js';
import { orthancVersion, printMachine } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { formatPeak, PeakMemoryWatch } from './lib/peak-memory.js';
import { formatSummary, noiseWarning, printScenario, type ScenarioReport } from './lib/report.js';
import { measureInterleaved, type Schedule, type Target } from './lib/rounds.js';
import { sampleMemory } from './lib/rss.js';
import { setUp, type Environment } from './lib/setup.js';
import { readSlowly } from './lib/slow-reader.js';
import { summarize } from './lib/stats.js';
import { num } from './lib/table.js';
import { loadWadoData } from './wado-data.js';
import { ACCEPT_DICOM, SCENARIO_IDS, wadoScenarios, type WadoData, type WadoScenario } from './wado-scenarios.js';

const STREAM_ID = 'stream-rss';
const ALL_IDS: readonly string[] = [...SCENARIO_IDS, STREAM_ID];
const RSS_LIMIT_MB = 200;

function selectedIds(only: readonly string[]): readonly string[] {
  const unknown = only.filter((id) => !ALL_IDS.includes(id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${ALL_IDS.join(', ')}`);
  return only.length === 0 ? ALL_IDS : only;
}

function scheduleOf(s: WadoScenario, options: BenchOptions, env: Environment): Schedule {
  return {
    probe: new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid, gateway: env.gateway.pid }),
    rounds: options.rounds,
    roundMs: options.seconds * 1000,
    warmupMs: options.warmupSeconds * 1000,
    concurrency: s.concurrency,
    maxRequestsPerRound: Math.min(s.maxRequests ?? Infinity, options.maxRequestsPerRound),
    headers: { accept: s.accept },
  };
}

function throughputLine(r: ScenarioReport): string {
  const mbps = (s: ScenarioReport['direct']) => (s.reqPerSec * s.bytesPerRequest) / 1e6;
  const [d, g] = [mbps(r.direct), mbps(r.gateway)];
  return `throughput: direct ${num(d)} MB/s, gateway ${num(g)} MB/s, ratio ${num(g / d)}x`;
}

async function measure(s: WadoScenario, targets: [Target, Target], env: Environment, options: BenchOptions): Promise<ScenarioReport> {
  console.log(`\n== ${s.id}: ${s.title}`);
  console.log(`   ${s.description}; concurrency ${s.concurrency}${s.maxRequests ? `, at most ${s.maxRequests} requests per round` : ''}`);
  const memoryBefore = sampleMemory(env.gateway.pid);
  const [direct, gateway] = await measureInterleaved(targets, s.path, scheduleOf(s, options, env));
  const report: ScenarioReport = {
    id: s.id, title: s.title, goal: s.goal, memoryBefore,
    direct: summarize(direct!.rounds), gateway: summarize(gateway!.rounds), memoryAfter: sampleMemory(env.gateway.pid),
  };
  printScenario(report);
  if (s.throughput) console.log(throughputLine(report));
  return report;
}

/**
 * Waits (at most 30 s) until the gateway's CPU use stays under 5 % for half a second: the checks
 * start background work (the multi-frame instance's download into the instance store, decoded
 * copies) whose memory is not the streaming's.
 */
async function settledGateway(env: Environment): Promise<number> {
  const probe = new CpuProbe({ gateway: env.gateway.pid });
  const started = performance.now();
  while (performance.now() - started < 30_000) {
    const before = probe.snapshot();
    await sleep(500);
    const use = cpuBetween(before, probe.snapshot());
    if (!use || (use.gateway ?? 0) < 0.05) break;
  }
  return (performance.now() - started) / 1000;
}

async function measureStreaming(data: WadoData, gateway: Target, env: Environment, options: BenchOptions): Promise<string> {
  const waited = await settledGateway(env);
  console.log(`\n(${STREAM_ID} waited ${waited.toFixed(1)} s for the gateway's background work after the checks)`);
  const totalBytes = options.streamMb * 1e6;
  const rate = options.readMbps * 1e6;
  // Study retrieves: relayed from the archive every time (a series asked for again would be read into the edge).
  console.log(`\n== ${STREAM_ID}: gateway memory while one client reads ${options.streamMb} MB of study retrieves (relayed) at ${options.readMbps} MB/s`);
  const watch = new PeakMemoryWatch(env.gateway.pid);
  const result = await readSlowly({
    url: `${gateway.origin}${gateway.basePath}/studies/${data.big.studyUid}`,
    headers: { accept: ACCEPT_DICOM },
    totalBytes,
    bytesPerSecond: rate,
    maxMs: (totalBytes / rate) * 2000 + 60_000,
  });
  const peak = watch.stop();
  console.log(`streamed ${(result.bytes / 1e6).toFixed(0)} MB in ${result.requests} requests, ${(result.elapsedMs / 1000).toFixed(1)} s (${num(result.bytes / 1e3 / result.elapsedMs)} MB/s); statuses ${JSON.stringify(result.statuses)}`);
  if (result.errors.length > 0) console.log(`stream errors (${result.errors.length}): ${result.errors.join(' | ')}`);
  const line = formatPeak(STREAM_ID, peak, RSS_LIMIT_MB);
  console.log(line);
  return line;
}

export async function run(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  const ids = selectedIds(options.only);
  printMachine('wado');
  console.log(`schedule: ${options.rounds} rounds x ${options.seconds} s per target, interleaved direct/gateway, warm-up ${options.warmupSeconds} s; concurrency per scenario`);
  const env = await setUp(cleanup, { gatewayMain: options.gatewayMain, gatewayFromSource: options.fromSource, gatewayEnv: options.gatewayEnv,
    gatewayNodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [] });
  console.log(`setup: Orthanc ${await orthancVersion(env.orthanc.baseUrl)}`);
  const data = await loadWadoData(env.orthanc.baseUrl, ids, options.seriesInstances);
  const direct: Target = { name: 'direct', origin: env.orthanc.baseUrl, basePath: '/dicom-web' };
  const gateway: Target = { name: 'gateway', origin: env.gateway.origin, basePath: env.gateway.basePath, countHeader: 'x-gateway-cache' };
  const scenarios = wadoScenarios(data, options.rounds).filter((s) => ids.includes(s.id));
  for (const s of scenarios) await checkBothAnswer(s.id, s.path(0), { accept: s.accept }, direct, gateway);
  // First, while the gateway's caches are empty: its peak is then the streaming's own.
  const streamLine = ids.includes(STREAM_ID) ? await measureStreaming(data, gateway, env, options) : undefined;
  const reports: ScenarioReport[] = [];
  for (const s of scenarios) reports.push(await measure(s, [direct, gateway], env, options));
  console.log(`\n== summary (${options.rounds} x ${options.seconds} s per target)`);
  console.log(formatSummary(reports));
  if (streamLine) console.log(streamLine);
  const noise = noiseWarning(reports);
  if (noise) console.log(noise);
  const memory = sampleMemory(env.gateway.pid);
  const since = streamLine ? `since the start of ${STREAM_ID}` : 'since the gateway started';
  console.log(`gateway VmHWM at the end: ${memory ? `${(memory.hwmKb / 1024).toFixed(1)} MB` : 'n/a'} (${since}; includes what the scenarios put in its caches)`);
}
