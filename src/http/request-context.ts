/**
 * Per-request id, trace context, metrics and one access-log line per request.
 * Query strings are never logged: they carry patient names and IDs (PHI).
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../ops/metrics.js';
import { requestScope, type RequestScopeStorage } from './request-scope.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

function logLine(ctx: Context, id: string, ms: number) {
  return {
    reqId: id,
    method: ctx.method,
    route: ctx._matchedRoute ?? 'unmatched',
    status: ctx.status,
    ms: Math.round(ms * 100) / 100,
    cache: ctx.response.get('x-gateway-cache') || undefined,
    aborted: !ctx.res.writableFinished || undefined,
  };
}

export function requestContext(log: Logger, metrics: GatewayMetrics, scope: RequestScopeStorage) {
  return async function accessLog(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const id = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    metrics.inFlight.inc();
    const socket = ctx.req.socket;
    const bytesBefore = socket.bytesWritten;
    ctx.res.once('close', () => {
      metrics.inFlight.dec();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = String(ctx._matchedRoute ?? 'unmatched');
      metrics.httpRequests.inc({ route, method: ctx.method, status: String(ctx.status) });
      metrics.httpDuration.observe({ route, method: ctx.method }, ms / 1000);
      const bytes = socket.bytesWritten - bytesBefore;
      metrics.bytesSent.inc({ route }, Math.max(0, bytes));
      log.info({ ...logLine(ctx, id, ms), bytes }, 'request');
    });
    await scope.run(requestScope(id, ctx.get('traceparent') || undefined), next);
  };
}
