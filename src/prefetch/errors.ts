/**
 * Typed errors of the prefetch API (answered as problem+json by
 * src/http/error-middleware.ts), and the words a support desk reads when an
 * archive failure ended a study.
 */
import { GatewayError, NotFoundError } from '../http/errors.js';

export class PrefetchUnavailableError extends GatewayError {
  constructor(detail: string, code = 'PREFETCH_UNAVAILABLE') {
    super(503, code, 'Prefetch unavailable', detail, { retryAfterSeconds: 30 });
  }
}

export class PrefetchJobNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No prefetch job ${id.slice(0, 64)} (it may have finished more than the retention time ago).`, 'PREFETCH_JOB_NOT_FOUND');
  }
}

export class PrefetchJobFinishedError extends GatewayError {
  constructor(id: string, status: string) {
    super(409, 'PREFETCH_JOB_FINISHED', 'Job already finished', `Prefetch job ${id} already ended (${status}); there is nothing to cancel.`, { status });
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(detail: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', detail);
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limit: number) {
    super(413, 'BODY_TOO_LARGE', 'Request body too large', `A prefetch request is a small JSON object; this one is larger than ${limit} bytes.`);
  }
}

/** The cause inside an UpstreamUnreachableError's detail ("cannot be reached (connection refused)"), also when an open circuit quotes it. */
function reachCause(detail: string): string | undefined {
  return /cannot be reached \(([^)]+)\)/.exec(detail)?.[1];
}

/** One line for the job's message and the study's error: what failed, not how the gateway is built. */
export function reasonOf(err: unknown, upstreamName: string): { code: string; reason: string } {
  const archive = `the archive "${upstreamName}"`;
  if (!(err instanceof GatewayError)) return { code: 'INTERNAL_ERROR', reason: 'an internal error of the gateway (logged)' };
  switch (err.code) {
    case 'UPSTREAM_UNREACHABLE':
      return { code: err.code, reason: `${archive} did not answer (${reachCause(err.detail) ?? 'no connection'})` };
    case 'UPSTREAM_TIMEOUT':
      return { code: err.code, reason: `${archive} did not answer in time` };
    case 'UPSTREAM_UNAVAILABLE':
      return { code: err.code, reason: `${archive} is temporarily unavailable (busy or in maintenance)` };
    case 'UPSTREAM_CIRCUIT_OPEN': {
      // The circuit opened on repeated failures; the last one usually says why (same words as above, so reasons group).
      const cause = reachCause(err.detail);
      return { code: err.code, reason: `${archive} did not answer (${cause ?? 'it has been failing; the gateway stopped asking it for a while'})` };
    }
    case 'GATEWAY_BUSY':
      return { code: err.code, reason: 'the gateway was too busy with other requests to the archive' };
    case 'NOT_FOUND':
      return { code: err.code, reason: `${archive} no longer holds it` };
    default:
      if (err.code.startsWith('UPSTREAM_')) return { code: err.code, reason: `${archive} failed: ${err.detail.replace(/^The image archive "[^"]*" /, '')}` };
      return { code: err.code, reason: err.detail };
  }
}
