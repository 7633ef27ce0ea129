// Printing one scenario's direct-vs-gateway comparison and the final summary,
// with the targets next to the figures.
import { formatUse } from './cpu.js';
import { formatMb, type MemorySample } from './rss.js';
import { share, type Summary } from './stats.js';
import { formatTable, num, percent, type Column } from './table.js';

export interface Goal {
  /** Minimum gateway/direct throughput ratio; 0: no target, figures only. */
  minRatio: number;
  /** Maximum gateway p50, when the goal has one. */
  maxGatewayP50Ms?: number;
}

export interface ScenarioReport {
  id: string;
  title: string;
  direct: Summary;
  gateway: Summary;
  goal: Goal;
  memoryBefore?: MemorySample;
  memoryAfter?: MemorySample;
}

export function goalShort(goal: Goal): string {
  if (goal.minRatio === 0 && goal.maxGatewayP50Ms === undefined) return 'none';
  return `>= ${goal.minRatio}x${goal.maxGatewayP50Ms === undefined ? '' : `, p50 <= ${goal.maxGatewayP50Ms} ms`}`;
}

export function goalText(goal: Goal): string {
  if (goal.minRatio === 0 && goal.maxGatewayP50Ms === undefined) return 'none set (figures only)';
  const p50 = goal.maxGatewayP50Ms === undefined ? '' : `, gateway p50 <= ${goal.maxGatewayP50Ms} ms`;
  return `gateway >= ${goal.minRatio}x direct req/s${p50}`;
}

export function goalMet(r: ScenarioReport): { ratio: boolean; p50: boolean; all: boolean } {
  const ratio = r.gateway.reqPerSec / r.direct.reqPerSec >= r.goal.minRatio;
  const p50 = r.goal.maxGatewayP50Ms === undefined || r.gateway.p50Ms <= r.goal.maxGatewayP50Ms;
  const clean = r.gateway.errors === 0 && r.direct.errors === 0;
  return { ratio, p50, all: ratio && p50 && clean };
}

const COLUMNS: Column[] = [
  { header: 'target' },
  { header: 'requests', align: 'right' },
  { header: 'req/s', align: 'right' },
  { header: 'rounds req/s', align: 'right' },
  { header: 'p50 ms', align: 'right' },
  { header: 'p90 ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: 'max ms', align: 'right' },
  { header: 'errors', align: 'right' },
  { header: 'KB/resp', align: 'right' },
];

function row(name: string, s: Summary): string[] {
  return [
    name, String(s.requests), num(s.reqPerSec), `${num(s.minRoundReqPerSec)}-${num(s.maxRoundReqPerSec)}`,
    num(s.p50Ms), num(s.p90Ms), num(s.p99Ms), num(s.maxMs), String(s.errors), num(s.bytesPerRequest / 1024),
  ];
}

function ratioRow(d: Summary, g: Summary): string[] {
  const x = (a: number, b: number) => `${num(a / b)}x`;
  return ['gateway/direct', '', x(g.reqPerSec, d.reqPerSec), '', x(g.p50Ms, d.p50Ms), x(g.p90Ms, d.p90Ms), x(g.p99Ms, d.p99Ms), '', '', ''];
}

function cacheLine(s: Summary): string {
  const counts = Object.entries(s.headerCounts).map(([k, v]) => `${k} ${v}`).join(', ');
  return `gateway cache: HIT share ${percent(share(s.headerCounts, 'HIT'))} (${counts || 'no X-Gateway-Cache header'})`;
}

function memoryLine(before?: MemorySample, after?: MemorySample): string {
  return `gateway memory: RSS ${formatMb(before?.rssKb)} before, ${formatMb(after?.rssKb)} after (peak so far ${formatMb(after?.hwmKb)})`;
}

/** CPU time of the benchmark's own processes (bench client, Orthanc, gateway) per request, in ms. */
function cpuPerRequestMs(s: Summary): number {
  if (!s.cpu) return Number.NaN;
  const own = Object.entries(s.cpu).filter(([k]) => k !== 'other').reduce((n, [, v]) => n + v, 0);
  return (own * 1000) / s.reqPerSec;
}

/**
 * Cores busy during each target's rounds. CPU per request hardly depends on
 * outside load, so its ratio is the throughput ratio to expect where the two
 * cores are the limit (as they nearly are for cold queries here).
 */
function cpuLines(r: ScenarioReport): string[] {
  if (!r.direct.cpu || !r.gateway.cpu) return [];
  const gatewayOwn = ((r.gateway.cpu.gateway ?? 0) * 1000) / r.gateway.reqPerSec;
  const [d, g] = [cpuPerRequestMs(r.direct), cpuPerRequestMs(r.gateway)];
  return [
    `CPU cores busy, direct rounds: ${formatUse(r.direct.cpu)}`,
    `CPU cores busy, gateway rounds: ${formatUse(r.gateway.cpu)}`,
    `CPU per request (bench+orthanc+gateway): direct ${num(d)} ms, gateway ${num(g)} ms, of which the gateway process ${num(gatewayOwn)} ms; CPU-bound ratio ${num(d / g)}x`,
  ];
}

/** Gateway round k against direct round k: a burst of outside load spoils one pair, not all. */
function pairRatioValues(r: ScenarioReport): number[] {
  return r.gateway.roundReqPerSec.map((g, k) => g / (r.direct.roundReqPerSec[k] ?? Number.NaN));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pairRatios(r: ScenarioReport): string {
  const ratios = pairRatioValues(r);
  return `throughput ratio per round pair: ${ratios.map((x) => `${num(x)}x`).join(', ')} (median ${num(median(ratios))}x)`;
}

export function printScenario(r: ScenarioReport): void {
  console.log(formatTable(COLUMNS, [row('direct', r.direct), row('gateway', r.gateway), ratioRow(r.direct, r.gateway)]));
  console.log(pairRatios(r));
  for (const line of cpuLines(r)) console.log(line);
  console.log(cacheLine(r.gateway));
  console.log(memoryLine(r.memoryBefore, r.memoryAfter));
  const met = goalMet(r);
  const p50 = r.goal.maxGatewayP50Ms === undefined ? '' : `; p50 ${num(r.gateway.p50Ms)} ms ${met.p50 ? 'met' : 'MISSED'}`;
  const verdict = goalShort(r.goal) === 'none' ? '(no target)' : met.ratio ? 'met' : 'MISSED';
  console.log(`target: ${goalText(r.goal)} -> ratio ${num(r.gateway.reqPerSec / r.direct.reqPerSec)}x ${verdict}${p50}`);
  for (const [name, s] of [['direct', r.direct], ['gateway', r.gateway]] as const) {
    if (s.errors > 0) console.log(`${name} errors (first ${s.errorSamples.length}): ${s.errorSamples.join(' | ')}`);
    if (s.retries > 0) console.log(`${name}: ${s.retries} requests re-sent after a dropped keep-alive socket`);
  }
}

const SUMMARY_COLUMNS: Column[] = [
  { header: 'scenario' },
  { header: 'direct req/s', align: 'right' },
  { header: 'gateway req/s', align: 'right' },
  { header: 'ratio', align: 'right' },
  { header: 'median pair', align: 'right' },
  { header: 'CPU-bound', align: 'right' },
  { header: 'CPU ms/req d/g', align: 'right' },
  { header: 'direct p50/p99 ms', align: 'right' },
  { header: 'gateway p50/p99 ms', align: 'right' },
  { header: 'errors d/g', align: 'right' },
  { header: 'cache HIT', align: 'right' },
  { header: 'other CPU d/g', align: 'right' },
  { header: 'target' },
  { header: 'verdict' },
];

/** Cores used by processes outside the benchmark above which figures are flagged as noisy. */
export const NOISY_OTHER_CORES = 0.2;

export function noiseWarning(reports: readonly ScenarioReport[]): string | undefined {
  const noisy = reports.filter((r) => Math.max(r.direct.cpu?.other ?? 0, r.gateway.cpu?.other ?? 0) > NOISY_OTHER_CORES);
  if (noisy.length === 0) return undefined;
  return `WARNING: other processes used more than ${NOISY_OTHER_CORES} cores during ${noisy.map((r) => r.id).join(', ')}: those ratios are noisy; re-run on a quiet machine`;
}

export function formatSummary(reports: readonly ScenarioReport[]): string {
  const rows = reports.map((r) => [
    r.id,
    num(r.direct.reqPerSec),
    num(r.gateway.reqPerSec),
    `${num(r.gateway.reqPerSec / r.direct.reqPerSec)}x`,
    `${num(median(pairRatioValues(r)))}x`,
    `${num(cpuPerRequestMs(r.direct) / cpuPerRequestMs(r.gateway))}x`,
    `${num(cpuPerRequestMs(r.direct))} / ${num(cpuPerRequestMs(r.gateway))}`,
    `${num(r.direct.p50Ms)} / ${num(r.direct.p99Ms)}`,
    `${num(r.gateway.p50Ms)} / ${num(r.gateway.p99Ms)}`,
    `${r.direct.errors}/${r.gateway.errors}`,
    percent(share(r.gateway.headerCounts, 'HIT')),
    `${num(r.direct.cpu?.other ?? Number.NaN)}/${num(r.gateway.cpu?.other ?? Number.NaN)}`,
    goalShort(r.goal),
    r.goal.minRatio === 0 && r.goal.maxGatewayP50Ms === undefined ? '-' : goalMet(r).all ? 'met' : 'MISSED',
  ]);
  return formatTable(SUMMARY_COLUMNS, rows);
}
