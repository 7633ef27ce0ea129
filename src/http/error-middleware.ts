/**
 * The one place where thrown errors become HTTP answers: GatewayErrors keep their
 * status and code; anything else is logged and answered as 500 without internals.
 * Bodies are RFC 9457 problem+json with a stable `code`.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { GatewayError } from './errors.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [key: string]: unknown;
}

export function problemFrom(err: GatewayError, instance: string): ProblemBody {
  const { retryAfterSeconds: _retry, ...extras } = err.extras;
  return {
    type: 'about:blank',
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    instance,
    ...extras,
  };
}

/** Koa's own errors (e.g. from ctx.throw or body parsing) carry `status` and `expose`. */
function fromHttpError(err: unknown): GatewayError | undefined {
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    return new GatewayError(e.status, 'HTTP_' + e.status, 'Request error', String(e.message));
  }
  return undefined;
}

/** Codes answered without asking the upstream (open circuit, full bulkhead). */
const FAIL_FAST_CODES = new Set(['UPSTREAM_CIRCUIT_OPEN', 'GATEWAY_BUSY']);

export function errorMiddleware(log: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      let gatewayError = err instanceof GatewayError ? err : fromHttpError(err);
      if (!gatewayError) {
        log.error({ err, route: ctx.path }, 'unhandled error');
        gatewayError = new GatewayError(500, 'INTERNAL_ERROR', 'Internal error', 'The gateway failed to process the request; the incident was logged.');
      } else if (gatewayError.status >= 500) {
        // Fail-fast answers repeat by the thousand during an outage; the circuit's state changes are logged once instead.
        const repetitive = FAIL_FAST_CODES.has(gatewayError.code);
        log[repetitive ? 'debug' : 'warn']({ code: gatewayError.code, detail: gatewayError.detail }, 'upstream problem');
      }
      if (ctx.headerSent || !ctx.writable) {
        // A streamed body already started: the only honest signal left is to cut the connection.
        ctx.req.socket.destroy();
        return;
      }
      ctx.status = gatewayError.status;
      ctx.type = 'application/problem+json';
      ctx.remove('ETag');
      ctx.remove('Cache-Control');
      const retry = gatewayError.extras.retryAfterSeconds;
      if (retry !== undefined) ctx.set('Retry-After', String(retry));
      ctx.body = problemFrom(gatewayError, ctx.originalUrl.split('?')[0] ?? ctx.path);
    }
  };
}
