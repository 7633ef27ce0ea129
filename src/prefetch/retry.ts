/**
 * Job-level retries of one step (a study search, a study's metadata, one
 * instance) when the archive fails: exponential backoff with jitter, on top of
 * the upstream client's own short retries. A prefetch runs in the background,
 * so it can wait out an archive restart that a viewer request could not.
 */
import { GatewayError } from '../http/errors.js';
import { isAbortError } from '../upstream/errors.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0–1 (tests use a fixed value). */
  random?: () => number;
}

export interface RetryNotice {
  /** The attempt about to start (2 = first retry). */
  attempt: number;
  of: number;
  delayMs: number;
  error: unknown;
}

/** 502/503/504 answers that another try cannot change. */
const FINAL_CODES = new Set(['UPSTREAM_REJECTED', 'UPSTREAM_TOO_LARGE', 'EDGE_CLOSED', 'EDGE_DISABLED', 'EDGE_BAD_METADATA']);

/** Archive failures worth another try: 502/503/504 (unreachable, timeout, unavailable, circuit open, bulkhead full, HTTP 5xx). */
export function isRetryableFailure(err: unknown): boolean {
  if (isAbortError(err)) return false;
  return err instanceof GatewayError && err.status >= 502 && err.status <= 504 && !FINAL_CODES.has(err.code);
}

/**
 * Delay before retry `n` (1-based): "equal jitter", between half and all of
 * min(max, initial × 2^(n-1)), so an open circuit is not hammered with
 * near-zero waits; an upstream Retry-After within the maximum wins.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, err?: unknown): number {
  const retryAfter = err instanceof GatewayError ? err.extras.retryAfterSeconds : undefined;
  if (typeof retryAfter === 'number' && retryAfter * 1000 <= policy.maxDelayMs) return retryAfter * 1000;
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  const random = policy.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A plain Error named AbortError for the signal's reason (a string reason becomes its message). */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const err = new Error(typeof reason === 'string' ? reason : 'aborted');
  err.name = 'AbortError';
  return err;
}

/** Resolves after `ms`, rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `step`, retrying archive failures per `policy`; other errors and aborts end it at once. */
export async function withRetry<T>(policy: RetryPolicy, step: () => Promise<T>, signal?: AbortSignal, onRetry?: (notice: RetryNotice) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortError(signal);
    try {
      return await step();
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (attempt > policy.retries || !isRetryableFailure(err)) throw err;
      const delayMs = backoffDelay(policy, attempt, err);
      onRetry?.({ attempt: attempt + 1, of: policy.retries + 1, delayMs, error: err });
      await sleep(delayMs, signal);
    }
  }
}
