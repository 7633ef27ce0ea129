/**
 * Runs conformance cases one after the other against a DICOMweb base URL,
 * each with its own time budget, and collects pass / fail / skip with the
 * failure message. Prints one line per case as it finishes.
 */
import { CaseSkip } from './assert.js';
import { allCases } from './cases/index.js';
import { HttpClient, normalizeBaseUrl } from './http.js';
import { formatLine } from './report.js';
import type { CaseContext, CaseResult, ConformanceCase, Outcome } from './types.js';

export interface RunOptions {
  /** Time budget of one case, all its requests included. Default 20 s. */
  timeoutMs?: number;
  cases?: readonly ConformanceCase[];
  /** Receives each finished case's line; default console.log. Pass () => {} for silence. */
  log?: (line: string) => void;
}

const DEFAULT_TIMEOUT_MS = 20_000;

class CaseTimeout extends Error {}

function withDeadline<T>(work: Promise<T>, controller: AbortController, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CaseTimeout(`timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function contextFor(client: HttpClient, baseUrl: string, signal: AbortSignal): CaseContext {
  return {
    baseUrl,
    signal,
    get: (pathAndQuery, headers) => client.get(`${baseUrl}${pathAndQuery}`, headers, signal),
    send: (pathAndQuery, opts) => client.send(`${baseUrl}${pathAndQuery}`, { ...opts, signal }),
  };
}

async function runOne(client: HttpClient, baseUrl: string, c: ConformanceCase, timeoutMs: number): Promise<CaseResult> {
  const controller = new AbortController();
  const started = performance.now();
  let outcome: Outcome = 'pass';
  let message: string | undefined;
  try {
    await withDeadline(c.run(contextFor(client, baseUrl, controller.signal)), controller, timeoutMs);
  } catch (err) {
    outcome = err instanceof CaseSkip ? 'skip' : 'fail';
    message = err instanceof Error ? err.message : String(err);
  }
  const result: CaseResult = { id: c.id, section: c.section, title: c.title, outcome, ms: Math.round(performance.now() - started) };
  if (message !== undefined) result.message = message;
  if (c.pending) result.pending = c.pending;
  return result;
}

/** Runs the cases (default: every QIDO-RS, WADO-RS and STOW-RS case) against `baseUrl` and returns their results. */
export async function runSuite(baseUrl: string, opts: RunOptions = {}): Promise<CaseResult[]> {
  const base = normalizeBaseUrl(baseUrl);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = opts.log ?? ((line: string) => console.log(line));
  const client = new HttpClient(timeoutMs);
  const results: CaseResult[] = [];
  try {
    for (const c of opts.cases ?? allCases) {
      const result = await runOne(client, base, c, timeoutMs);
      results.push(result);
      log(formatLine(result));
    }
  } finally {
    await client.close();
  }
  return results;
}
