// A closed-loop load generator: `concurrency` workers share one undici Pool
// (one socket each) and send GET requests back to back until the round's
// duration or its request budget is used up, recording each latency.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { CpuUse } from './cpu.js';

export interface RoundOptions {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Returns the path (with query) of the next request. */
  nextPath: () => string;
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  headers?: Record<string, string>;
  /** Response header whose values are counted (e.g. x-gateway-cache). */
  countHeader?: string;
}

export interface RoundResult {
  requests: number;
  errors: number;
  /** Requests sent again after the server dropped a kept-alive socket. */
  retries: number;
  elapsedMs: number;
  bytes: number;
  /** Latencies of completed requests (any status), in ms. */
  latenciesMs: number[];
  statuses: Record<string, number>;
  headerCounts: Record<string, number>;
  /** First few error descriptions, for the report. */
  errorSamples: string[];
  /** Cores busy per process during the round, when measured. */
  cpu?: CpuUse;
}

/** Per-request cap: no request can keep a round running for long. */
const REQUEST_TIMEOUT_MS = 15_000;
// Orthanc closes idle sockets after 1 s, announced as `Keep-Alive: timeout=1`.
// undici's default threshold (2 s) would then close every socket after one
// response; 100 ms keeps them for 900 ms, longer than any gap within a round.
const KEEP_ALIVE_THRESHOLD_MS = 100;
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function emptyResult(): RoundResult {
  return { requests: 0, errors: 0, retries: 0, elapsedMs: 0, bytes: 0, latenciesMs: [], statuses: {}, headerCounts: {}, errorSamples: [] };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function recordError(result: RoundResult, text: string): void {
  result.errors++;
  if (result.errorSamples.length < 5) result.errorSamples.push(text);
}

async function sendOnce(pool: Pool, opts: RoundOptions, path: string, result: RoundResult): Promise<void> {
  const started = performance.now();
  const res = await pool.request({ method: 'GET', path, headers: opts.headers });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  result.latenciesMs.push(performance.now() - started);
  result.bytes += bytes;
  bump(result.statuses, String(res.statusCode));
  if (opts.countHeader) {
    const value = res.headers[opts.countHeader];
    bump(result.headerCounts, typeof value === 'string' ? value : 'absent');
  }
  if (res.statusCode >= 400) recordError(result, `HTTP ${res.statusCode} for ${path.slice(0, 120)}`);
}

/** One request; a socket the server closed before answering is retried once. */
async function sendRequest(pool: Pool, opts: RoundOptions, path: string, result: RoundResult): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sendOnce(pool, opts, path, result);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (attempt === 0 && RETRYABLE.has(code)) {
        result.retries++;
        continue;
      }
      recordError(result, `${code || 'error'}: ${(err as Error).message}`);
      return;
    }
  }
}

export async function runRound(opts: RoundOptions): Promise<RoundResult> {
  const pool = new Pool(opts.origin, {
    connections: opts.concurrency,
    pipelining: 1,
    keepAliveTimeoutThreshold: KEEP_ALIVE_THRESHOLD_MS,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS,
  });
  const result = emptyResult();
  const started = performance.now();
  const deadline = started + opts.durationMs;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < opts.maxRequests && performance.now() < deadline) {
      issued++;
      await sendRequest(pool, opts, opts.nextPath(), result);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    result.elapsedMs = performance.now() - started;
    result.requests = issued;
  } finally {
    await pool.destroy();
  }
  return result;
}
