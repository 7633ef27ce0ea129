// What `npm run bench -- load` prints: totals, error statuses by kind and
// problem code, latency percentiles, a timeline, and the recovery time.
import { percentile } from './lib/stats.js';
import { formatTable, num } from './lib/table.js';
import type { Outcome } from './load-traffic.js';

export interface OutageEvents { stoppedAtMs?: number; restartAtMs?: number; answersAtMs?: number }

const BUCKET_MS = 2000;
const ok = (o: Outcome) => o.status >= 200 && o.status < 400;
const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);

function errorKinds(outcomes: readonly Outcome[]): string[][] {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    if (ok(o)) continue;
    const key = `${o.kind} | ${o.status === 0 ? 'no answer' : o.status} | ${o.code ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [...k.split(' | '), String(n)]);
}

function latencyRows(outcomes: readonly Outcome[]): string[][] {
  const kinds = [...new Set(outcomes.map((o) => o.kind)), 'all'];
  return kinds.map((kind) => {
    const mine = outcomes.filter((o) => kind === 'all' || o.kind === kind);
    const lat = mine.map((o) => o.latencyMs).sort((a, b) => a - b);
    return [kind, String(mine.length), String(mine.filter(ok).length), num(percentile(lat, 50)), num(percentile(lat, 99)), num(lat[lat.length - 1] ?? Number.NaN)];
  });
}

function timeline(outcomes: readonly Outcome[], durationMs: number): string {
  const buckets = Math.ceil(durationMs / BUCKET_MS) + 1;
  const good = new Array<number>(buckets).fill(0);
  const bad = new Array<number>(buckets).fill(0);
  for (const o of outcomes) (ok(o) ? good : bad)[Math.min(buckets - 1, Math.floor(o.atMs / BUCKET_MS))]!++;
  return good.map((g, k) => `${(k * BUCKET_MS) / 1000}s ${g}/${bad[k]}`).join(', ');
}

/** Time from Orthanc answering again until the last failed answer, and until each kind's first success. */
function recovery(outcomes: readonly Outcome[], events: OutageEvents): string {
  const ready = events.answersAtMs;
  if (ready === undefined) return 'recovery: Orthanc did not come back';
  const after = outcomes.filter((o) => o.atMs >= ready);
  const lastError = after.filter((o) => !ok(o)).reduce((m, o) => Math.max(m, o.atMs), ready);
  const firstOk = [...new Set(outcomes.map((o) => o.kind))].map((kind) => {
    const hit = after.find((o) => o.kind === kind && ok(o) && o.atMs - o.latencyMs >= ready);
    return `${kind} ${hit ? s(hit.atMs - ready) : 'never'}`;
  });
  return `recovery: last error answer ${s(lastError - ready)} after Orthanc answered again; first success of a request sent after that: ${firstOk.join(', ')}`;
}

export function printOutcomes(outcomes: readonly Outcome[], events: OutageEvents, durationMs: number): void {
  const served = outcomes.filter(ok).length;
  console.log(`\nrequests: ${outcomes.length} answered or failed, ${served} served (2xx/3xx), ${outcomes.length - served} errors`);
  console.log(`Orthanc stopped at ${s(events.stoppedAtMs)}, restart began at ${s(events.restartAtMs)}, answering again at ${s(events.answersAtMs)}`);
  console.log(formatTable([{ header: 'kind' }, { header: 'requests', align: 'right' }, { header: 'served', align: 'right' }, { header: 'p50 ms', align: 'right' }, { header: 'p99 ms', align: 'right' }, { header: 'max ms', align: 'right' }], latencyRows(outcomes)));
  const errors = errorKinds(outcomes);
  if (errors.length > 0) console.log(formatTable([{ header: 'kind' }, { header: 'status' }, { header: 'problem code' }, { header: 'count', align: 'right' }], errors));
  console.log(`timeline (${BUCKET_MS / 1000} s buckets, served/errors): ${timeline(outcomes, durationMs)}`);
  console.log(recovery(outcomes, events));
}
