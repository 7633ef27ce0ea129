// The traffic of `npm run bench -- load`: a closed loop of mixed requests
// (cold QIDO, series metadata, frames), each outcome recorded with its time,
// latency, status and, for gateway errors, the problem+json `code`.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface Outcome {
  kind: string;
  /** ms since the start of the run, when the answer (or failure) arrived. */
  atMs: number;
  latencyMs: number;
  /** HTTP status, or 0 when no answer arrived (socket error, timeout). */
  status: number;
  /** problem+json `code`, or the client-side error code. */
  code?: string;
}

export interface RequestKind {
  kind: string;
  accept: string;
  path: (n: number) => string;
}

export interface TrafficOptions {
  origin: string;
  kinds: readonly RequestKind[];
  concurrency: number;
  durationMs: number;
  maxRequests: number;
}

const REQUEST_TIMEOUT_MS = 35_000;

function problemCode(body: string, contentType: string): string | undefined {
  if (!contentType.includes('problem+json')) return undefined;
  try {
    return String((JSON.parse(body) as { code?: unknown }).code ?? '');
  } catch {
    return 'unparsable';
  }
}

async function sendOne(pool: Pool, kind: RequestKind, n: number, t0: number): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await pool.request({ method: 'GET', path: kind.path(n), headers: { accept: kind.accept } });
    let code: string | undefined;
    if (res.statusCode >= 400) code = problemCode(await res.body.text(), String(res.headers['content-type'] ?? ''));
    else await res.body.dump({ limit: Infinity });
    const now = performance.now();
    return { kind: kind.kind, atMs: now - t0, latencyMs: now - started, status: res.statusCode, code };
  } catch (err) {
    const now = performance.now();
    return { kind: kind.kind, atMs: now - t0, latencyMs: now - started, status: 0, code: (err as { code?: string }).code ?? 'error' };
  }
}

/** Runs until the time or the request budget is used; `t0` is the run's time origin. */
export async function runTraffic(opts: TrafficOptions, t0: number): Promise<Outcome[]> {
  const pool = new Pool(opts.origin, { connections: opts.concurrency, keepAliveTimeoutThreshold: 100, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const outcomes: Outcome[] = [];
  const deadline = t0 + opts.durationMs;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < opts.maxRequests && performance.now() < deadline) {
      const n = issued++;
      outcomes.push(await sendOne(pool, opts.kinds[n % opts.kinds.length]!, n, t0));
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    await pool.destroy();
  }
  return outcomes;
}
