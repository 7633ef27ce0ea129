/**
 * What an upstream attempt can end as, for the resilience policies:
 * which failures are worth a retry, which count against the circuit.
 */
import { GatewayError, UpstreamFailureError, UpstreamTimeoutError, UpstreamUnreachableError } from '../http/errors.js';
import { isAbortError } from './errors.js';

/** Statuses that mean "try again later" for an idempotent request. */
export const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** An upstream answer with a retryable status; its body was already consumed. */
export class RetryableStatusError extends Error {
  constructor(readonly status: number, readonly retryAfterMs: number | undefined) {
    super(`upstream answered HTTP ${status}`);
  }
}

export function parseRetryAfterMs(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Outages: the PACS itself is down or overwhelmed. A 500 about one instance is not an outage. */
export function isOutage(err: unknown): boolean {
  if (err instanceof RetryableStatusError) return err.status !== 429;
  return err instanceof UpstreamUnreachableError || err instanceof UpstreamTimeoutError;
}

export function isRetryable(err: unknown, maxDelayMs: number): boolean {
  if (isAbortError(err)) return false;
  if (err instanceof RetryableStatusError) return err.retryAfterMs === undefined || err.retryAfterMs <= maxDelayMs;
  // Header/body timeouts are not retried: the PACS is slow, and waiting twice helps no one.
  return err instanceof UpstreamUnreachableError;
}

/** The error a client sees once retries are over. */
export function finalError(err: unknown, upstreamName: string): unknown {
  if (!(err instanceof RetryableStatusError)) return err;
  const retryAfterSeconds = err.retryAfterMs === undefined ? undefined : Math.ceil(err.retryAfterMs / 1000);
  if (err.status === 503 || err.status === 429) {
    return new UpstreamFailureError(upstreamName, 'is temporarily unavailable (busy or in maintenance).', 503, 'UPSTREAM_UNAVAILABLE', retryAfterSeconds ? { retryAfterSeconds } : {});
  }
  if (err.status === 504) return new UpstreamTimeoutError(upstreamName, 'its own back end timed out (HTTP 504)');
  return new UpstreamFailureError(upstreamName, `failed while answering (HTTP ${err.status}).`);
}

export class GatewayBusyError extends GatewayError {
  constructor(routeClass: string) {
    super(503, 'GATEWAY_BUSY', 'Gateway busy', `Too many ${routeClass} requests are waiting for the image archive; try again in a moment.`, { retryAfterSeconds: 1 });
  }
}

export class CircuitOpenError extends GatewayError {
  constructor(upstreamName: string, since: Date, lastError: string | undefined, retryAfterSeconds: number) {
    super(
      503,
      'UPSTREAM_CIRCUIT_OPEN',
      'Image archive unavailable',
      `The image archive "${upstreamName}" has been failing since ${since.toISOString()}${lastError ? ` (${lastError})` : ''}. ` +
        `The gateway is not sending it requests for now and checks every ${retryAfterSeconds} s whether it is back; previously viewed studies may still be served from the cache.`,
      { upstream: upstreamName, since: since.toISOString(), retryAfterSeconds },
    );
  }
}
