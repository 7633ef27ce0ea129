// A bounded round of POST requests with prepared bodies: `concurrency` workers
// on one undici Pool send the bodies in order until all are sent or the round's
// time is up. The result has the shape of a GET round (lib/load.ts), so the
// same summaries and reports apply.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { RoundResult } from './load.js';

export interface PostRoundOptions {
  origin: string;
  path: string;
  contentType: string;
  accept: string;
  bodies: readonly Buffer[];
  concurrency: number;
  maxMs: number;
}

const REQUEST_TIMEOUT_MS = 120_000;

function record(result: RoundResult, status: number, text: string): void {
  result.statuses[String(status)] = (result.statuses[String(status)] ?? 0) + 1;
  if (status >= 300 || status === 0) {
    result.errors++;
    if (result.errorSamples.length < 5) result.errorSamples.push(text);
  }
}

async function postOne(pool: Pool, opts: PostRoundOptions, body: Buffer, result: RoundResult): Promise<void> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'POST', path: opts.path, body, headers: { 'content-type': opts.contentType, accept: opts.accept } });
    const text = await res.body.text();
    result.latenciesMs.push(performance.now() - started);
    result.bytes += body.length;
    record(result, res.statusCode, `HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  } catch (err) {
    record(result, 0, `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`);
  }
}

export async function postRound(opts: PostRoundOptions): Promise<RoundResult> {
  const pool = new Pool(opts.origin, { connections: opts.concurrency, keepAliveTimeoutThreshold: 100, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const result: RoundResult = { requests: 0, errors: 0, retries: 0, elapsedMs: 0, bytes: 0, latenciesMs: [], statuses: {}, headerCounts: {}, errorSamples: [] };
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.bodies.length && performance.now() - started < opts.maxMs) {
      const body = opts.bodies[next++]!;
      result.requests++;
      await postOne(pool, opts, body, result);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    result.elapsedMs = performance.now() - started;
  } finally {
    await pool.destroy();
  }
  return result;
}
