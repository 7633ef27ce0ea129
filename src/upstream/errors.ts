/**
 * Maps undici and socket failures to the gateway's typed errors, so that every
 * way a PACS can fail reaches the client as 502/503/504 with a readable message.
 */
import { errors as undiciErrors } from 'undici';
import { GatewayError, UpstreamFailureError, UpstreamTimeoutError, UpstreamUnreachableError } from '../http/errors.js';

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the archive',
  EPIPE: 'connection closed by the archive',
  UND_ERR_SOCKET: 'connection closed by the archive',
  UND_ERR_CLOSED: 'connection closed',
};

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for the response headers',
  UND_ERR_BODY_TIMEOUT: 'waiting for the response body',
  ETIMEDOUT: 'connecting',
};

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return undefined;
}

/** An Error with a stable `code` (what socket errors carry), for mapTransportError. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The caller's abort as an Error named AbortError (what isAbortError() and callers look for). */
export function abortReason(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted.', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

export function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string };
  return e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || err instanceof undiciErrors.RequestAbortedError;
}

/** Converts a transport-level failure into a GatewayError; abort errors are returned unchanged. */
export function mapTransportError(err: unknown, upstreamName: string): unknown {
  if (err instanceof GatewayError || isAbortError(err)) return err;
  const code = errorCode(err) ?? '';
  if (code === 'UPSTREAM_BAD_HTTP') return new UpstreamFailureError(upstreamName, `sent an answer that is not valid HTTP (${(err as Error).message}).`, 502, 'UPSTREAM_BAD_RESPONSE');
  const timeoutPhase = TIMEOUT_CODES[code];
  if (timeoutPhase) return new UpstreamTimeoutError(upstreamName, timeoutPhase);
  const reason = UNREACHABLE_CODES[code] ?? (code ? code : (err as Error)?.message ?? 'unknown error');
  return new UpstreamUnreachableError(upstreamName, reason);
}
