// `npm run bench -- stow`: STOW-RS (POST /studies, multipart/related;
// type="application/dicom") through the gateway (validation and duplicate
// detection on, as shipped) vs Orthanc direct, in interleaved rounds of fresh
// instances; then the gateway's peak memory while one client uploads ~1 GB in
// one streamed request.
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { Cleanup } from './lib/cleanup.js';
import { cpuBetween, CpuProbe } from './lib/cpu.js';
import type { RoundResult } from './lib/load.js';
import { orthancVersion, printMachine } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { formatPeak, PeakMemoryWatch } from './lib/peak-memory.js';
import { postRound } from './lib/post-round.js';
import { formatSummary, noiseWarning, printScenario, type ScenarioReport } from './lib/report.js';
import type { Target } from './lib/rounds.js';
import { sampleMemory } from './lib/rss.js';
import { setUp, type Environment } from './lib/setup.js';
import { summarize } from './lib/stats.js';
import { num } from './lib/table.js';
import { makeTemplate, multipartBody, STOW_CONTENT_TYPE, streamedBody, type Template } from './stow-data.js';

const STOW_IDS: readonly string[] = ['stow-512-ct', 'stow-large'];
const INSTANCES_PER_REQUEST = 10;
/** As many requests in flight as the gateway's stow.upstreamConcurrency default. */
const CONCURRENCY = 4;
const ROUND_MAX_MS = 120_000;
const UPLOAD_MAX_MS = 600_000;
const RSS_LIMIT_MB = 200;
const ACCEPT_JSON = 'application/dicom+json';

let group = 0;

function bodiesFor(t: Template, instances: number): Buffer[] {
  group++;
  const out: Buffer[] = [];
  for (let left = instances; left > 0; left -= INSTANCES_PER_REQUEST) out.push(multipartBody(t, group, Math.min(left, INSTANCES_PER_REQUEST)));
  return out;
}

async function round(target: Target, t: Template, instances: number, probe: CpuProbe): Promise<RoundResult> {
  const bodies = bodiesFor(t, instances); // built before the clock starts
  const before = probe.snapshot();
  const result = await postRound({ origin: target.origin, path: `${target.basePath}/studies`, contentType: STOW_CONTENT_TYPE, accept: ACCEPT_JSON, bodies, concurrency: CONCURRENCY, maxMs: ROUND_MAX_MS });
  result.cpu = cpuBetween(before, probe.snapshot());
  return result;
}

async function measureRounds(targets: [Target, Target], t: Template, env: Environment, options: BenchOptions): Promise<ScenarioReport> {
  const probe = new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid, gateway: env.gateway.pid });
  const rounds: RoundResult[][] = [[], []];
  for (const target of targets) await round(target, t, 2 * INSTANCES_PER_REQUEST, probe); // warm-up
  const memoryBefore = sampleMemory(env.gateway.pid);
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < 2; k++) rounds[k]!.push(await round(targets[k]!, t, options.stowInstances, probe));
  }
  const report: ScenarioReport = {
    id: 'stow-512-ct', title: `STOW-RS of 512x512 CT, ${INSTANCES_PER_REQUEST} instances per request`,
    direct: summarize(rounds[0]!), gateway: summarize(rounds[1]!), goal: { minRatio: 0.8 }, memoryBefore, memoryAfter: sampleMemory(env.gateway.pid),
  };
  printScenario(report);
  const perSecond = (s: ScenarioReport['direct'], rs: RoundResult[]) => {
    const ms = rs.reduce((n, x) => n + x.elapsedMs, 0);
    return { instances: (s.requests * INSTANCES_PER_REQUEST * 1000) / ms, mb: rs.reduce((n, x) => n + x.bytes, 0) / 1e3 / ms };
  };
  const [d, g] = [perSecond(report.direct, rounds[0]!), perSecond(report.gateway, rounds[1]!)];
  console.log(`instances/s: direct ${num(d.instances)}, gateway ${num(g.instances)}; MB/s: direct ${num(d.mb)}, gateway ${num(g.mb)}; ratio ${num(g.mb / d.mb)}x`);
  return report;
}

type DicomJson = Record<string, { Value?: unknown[] }>;

async function uploadLarge(gateway: Target, t: Template, env: Environment, options: BenchOptions): Promise<string> {
  const totalBytes = options.streamMb * 1e6;
  console.log(`\n== stow-large: one request of ${options.streamMb} MB of fresh instances, streamed from a generator`);
  const watch = new PeakMemoryWatch(env.gateway.pid);
  const started = performance.now();
  group++;
  const res = await request(`${gateway.origin}${gateway.basePath}/studies`, {
    method: 'POST', body: Readable.from(streamedBody(t, group, totalBytes)), headers: { 'content-type': STOW_CONTENT_TYPE, accept: ACCEPT_JSON },
    headersTimeout: UPLOAD_MAX_MS, bodyTimeout: UPLOAD_MAX_MS, signal: AbortSignal.timeout(UPLOAD_MAX_MS),
  });
  const text = await res.body.text();
  const elapsed = performance.now() - started;
  const peak = watch.stop();
  let counts = '';
  try {
    const json = JSON.parse(text) as DicomJson;
    counts = `, ${json['00081199']?.Value?.length ?? 0} stored, ${json['00081198']?.Value?.length ?? 0} failed`;
  } catch {
    counts = `, answer: ${text.slice(0, 200)}`;
  }
  console.log(`HTTP ${res.statusCode} after ${(elapsed / 1000).toFixed(1)} s (${num(totalBytes / 1e3 / elapsed)} MB/s)${counts}`);
  const line = formatPeak('stow-large', peak, RSS_LIMIT_MB);
  console.log(line);
  return line;
}

export async function run(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  const unknown = options.only.filter((id) => !STOW_IDS.includes(id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${STOW_IDS.join(', ')}`);
  printMachine('stow');
  console.log(`schedule: ${options.rounds} rounds x ${options.stowInstances} instances per target, interleaved direct/gateway, ${CONCURRENCY} requests of ${INSTANCES_PER_REQUEST} instances in flight, fresh UIDs every round`);
  const env = await setUp(cleanup, { gatewayMain: options.gatewayMain, gatewayFromSource: options.fromSource, gatewayEnv: options.gatewayEnv,
    gatewayNodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [] });
  console.log(`setup: Orthanc ${await orthancVersion(env.orthanc.baseUrl)}`);
  const t = makeTemplate();
  console.log(`setup: template instance ${t.instance.part10.length} bytes; copies get fresh Study/Series/SOP Instance UIDs of the same length`);
  const direct: Target = { name: 'direct', origin: env.orthanc.baseUrl, basePath: '/dicom-web' };
  const gateway: Target = { name: 'gateway', origin: env.gateway.origin, basePath: env.gateway.basePath };
  const only = options.only;
  // The large upload first, on a fresh gateway: its peak memory is then the upload's own.
  const large = only.length === 0 || only.includes('stow-large') ? await uploadLarge(gateway, t, env, options) : undefined;
  const reports: ScenarioReport[] = [];
  if (only.length === 0 || only.includes('stow-512-ct')) {
    console.log(`\n== stow-512-ct: ${options.stowInstances} fresh 512x512 CT instances per round (KB/resp column: request body size)`);
    reports.push(await measureRounds([direct, gateway], t, env, options));
  }
  console.log('\n== summary');
  if (reports.length > 0) console.log(formatSummary(reports));
  if (large) console.log(large);
  const noise = noiseWarning(reports);
  if (noise) console.log(noise);
}
