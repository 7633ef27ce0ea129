// `npm run bench -- qido`: QIDO-RS through the gateway vs Orthanc direct, for
// the scenarios of qido-scenarios.ts, measured in interleaved rounds.
import type { Cleanup } from './lib/cleanup.js';
import { CpuProbe } from './lib/cpu.js';
import { orthancVersion, printMachine } from './lib/machine.js';
import type { BenchOptions } from './lib/options.js';
import { formatSummary, noiseWarning, printScenario, type ScenarioReport } from './lib/report.js';
import { measureInterleaved, type Schedule, type Target } from './lib/rounds.js';
import { sampleMemory } from './lib/rss.js';
import { setUp, type Environment } from './lib/setup.js';
import { summarize } from './lib/stats.js';
import { checkSameStudies } from './qido-check.js';
import { SCENARIO_IDS, qidoScenarios, type QidoScenario } from './qido-scenarios.js';

function printHeader(options: BenchOptions): void {
  printMachine('qido');
  console.log(`schedule: ${options.rounds} rounds x ${options.seconds} s per target, interleaved direct/gateway, warm-up ${options.warmupSeconds} s, concurrency ${options.concurrency}, at most ${options.maxRequestsPerRound} requests per round`);
}

function gatewayEnv(options: BenchOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (options.cacheTtlMs !== undefined) env.GATEWAY_CACHE_TTL_MS = String(options.cacheTtlMs);
  return env;
}

function checkOnly(only: readonly string[]): void {
  const unknown = only.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIO_IDS.join(', ')}`);
}

function select(all: QidoScenario[], only: readonly string[]): QidoScenario[] {
  return only.length === 0 ? all : all.filter((s) => only.includes(s.id));
}

function scheduleOf(options: BenchOptions, env: Environment): Schedule {
  return {
    probe: new CpuProbe({ bench: process.pid, orthanc: env.orthanc.pid, gateway: env.gateway.pid }),
    rounds: options.rounds,
    roundMs: options.seconds * 1000,
    warmupMs: options.warmupSeconds * 1000,
    concurrency: options.concurrency,
    maxRequestsPerRound: options.maxRequestsPerRound,
  };
}

async function measure(s: QidoScenario, targets: [Target, Target], env: Environment, schedule: Schedule): Promise<ScenarioReport> {
  console.log(`\n== ${s.id}: ${s.title}`);
  console.log(`   ${s.description}`);
  const memoryBefore = sampleMemory(env.gateway.pid);
  const [direct, gateway] = await measureInterleaved(targets, s.path, schedule);
  const report: ScenarioReport = {
    id: s.id,
    title: s.title,
    direct: summarize(direct!.rounds),
    gateway: summarize(gateway!.rounds),
    goal: s.goal,
    memoryBefore,
    memoryAfter: sampleMemory(env.gateway.pid),
  };
  printScenario(report);
  return report;
}

export async function run(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  checkOnly(options.only);
  printHeader(options);
  const env = await setUp(cleanup, {
    population: { studies: options.studies, seed: options.seed, seriesPerStudy: 1, instancesPerSeries: 2, rows: 64, columns: 64 },
    gatewayEnv: gatewayEnv(options),
    gatewayNodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    gatewayMain: options.gatewayMain,
    gatewayFromSource: options.fromSource,
  });
  console.log(`setup: Orthanc ${await orthancVersion(env.orthanc.baseUrl)}; gateway cache ${options.cacheTtlMs === undefined ? 'as shipped (config/default.json)' : `TTL ${options.cacheTtlMs} ms`}`);
  const direct: Target = { name: 'direct', origin: env.orthanc.baseUrl, basePath: '/dicom-web' };
  const gateway: Target = { name: 'gateway', origin: env.gateway.origin, basePath: env.gateway.basePath, countHeader: 'x-gateway-cache' };
  const scenarios = select(qidoScenarios(env.specs), options.only);
  for (const s of scenarios) await checkSameStudies(s.id, s.path(0), s.expectedMatches, direct, gateway);
  const reports: ScenarioReport[] = [];
  for (const s of scenarios) reports.push(await measure(s, [direct, gateway], env, scheduleOf(options, env)));
  console.log(`\n== summary (${options.studies} studies, concurrency ${options.concurrency}, ${options.rounds} x ${options.seconds} s per target)`);
  console.log(formatSummary(reports));
  const noise = noiseWarning(reports);
  if (noise) console.log(noise);
  const memory = sampleMemory(env.gateway.pid);
  console.log(`gateway peak RSS (VmHWM) over the run: ${memory ? `${(memory.hwmKb / 1024).toFixed(1)} MB` : 'n/a'}`);
  if (options.cpuProfDir) console.log(`gateway CPU profile: written to ${options.cpuProfDir} when the gateway exits`);
}
