/**
 * Per-request id and one access-log line per request. Query strings are not
 * logged: they carry patient names and IDs (PHI).
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestContext(log: Logger) {
  return async function accessLog(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const id = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    ctx.res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({
        reqId: id,
        method: ctx.method,
        path: ctx.path,
        route: ctx._matchedRoute,
        status: ctx.status,
        bytes: ctx.response.length,
        ms: Math.round(ms * 100) / 100,
        cache: ctx.response.get('x-gateway-cache') || undefined,
        aborted: !ctx.res.writableFinished || undefined,
      }, 'request');
    });
    await next();
  };
}
