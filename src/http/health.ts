/**
 * Liveness: the process is up and its event loop turns. Readiness (upstream
 * reachable) is a separate concern and does not belong in a liveness probe.
 */
import type { Context, Next } from 'koa';

export function healthz() {
  return async function handleHealthz(ctx: Context, next: Next): Promise<void> {
    if (ctx.path !== '/healthz' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  };
}
