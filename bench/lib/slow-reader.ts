// One client that reads a response no faster than a set rate, to check that
// the gateway applies back-pressure (memory stays flat) instead of buffering
// what the upstream sends faster than the client reads.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface SlowReadResult {
  requests: number;
  bytes: number;
  elapsedMs: number;
  statuses: Record<string, number>;
  /** Requests that failed mid-way (socket closed by the server, timeout), with the first messages. */
  errors: string[];
}

export interface SlowReadOptions {
  url: string;
  headers: Record<string, string>;
  /** Stop after this many bytes (checked between requests). */
  totalBytes: number;
  bytesPerSecond: number;
  /** Hard stop of the whole phase. */
  maxMs: number;
}

async function readOne(opts: SlowReadOptions, result: SlowReadResult, started: number, deadline: number): Promise<void> {
  const res = await request(opts.url, { headers: opts.headers, headersTimeout: 30_000, bodyTimeout: 30_000 });
  result.statuses[res.statusCode] = (result.statuses[res.statusCode] ?? 0) + 1;
  try {
    for await (const chunk of res.body) {
      result.bytes += (chunk as Buffer).length;
      const dueMs = (result.bytes / opts.bytesPerSecond) * 1000 - (performance.now() - started);
      if (dueMs > 1) await sleep(dueMs);
      if (performance.now() > deadline) break;
    }
  } finally {
    res.body.destroy();
  }
}

/** Requests `url` again and again through one connection, reading at the set rate. */
export async function readSlowly(opts: SlowReadOptions): Promise<SlowReadResult> {
  const result: SlowReadResult = { requests: 0, bytes: 0, elapsedMs: 0, statuses: {}, errors: [] };
  const started = performance.now();
  const deadline = started + opts.maxMs;
  while (result.bytes < opts.totalBytes && performance.now() < deadline) {
    result.requests++;
    const before = result.bytes;
    try {
      await readOne(opts, result, started, deadline);
    } catch (err) {
      result.errors.push(`after ${((result.bytes - before) / 1e6).toFixed(1)} MB of request ${result.requests}: ${(err as { code?: string }).code ?? 'error'} ${(err as Error).message}`);
      if (result.errors.length >= 5) break;
    }
  }
  result.elapsedMs = performance.now() - started;
  return result;
}
