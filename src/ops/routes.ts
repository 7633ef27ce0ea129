/**
 * Operations endpoints, outside the DICOMweb root:
 * - /healthz: the process is alive (liveness; never depends on the PACS);
 * - /readyz: send traffic here? 503 while draining or while the circuit to the
 *   PACS is open;
 * - /status: human-readable JSON for the support desk: upstream state, last
 *   success and error, latency, cache sizes and hit ratios, version;
 * - /metrics: Prometheus exposition.
 */
import Router from '@koa/router';
import type { GatewayServices } from '../services.js';
import { VERSION } from './version.js';

const started = Date.now();

function cacheSummaries(services: GatewayServices): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, read] of Object.entries(services.statusSources)) out[name] = read();
  return out;
}

export function opsRouter(services: GatewayServices): Router {
  const router = new Router();
  const { upstream, metrics, lifecycle } = services;
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const circuit = upstream.resilience.circuit;
    const ready = !lifecycle.draining && circuit !== 'open';
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', draining: lifecycle.draining, upstream: { name: upstream.name, circuit } };
  });
  router.get('/status', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      service: 'dicomweb-gateway',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      draining: lifecycle.draining,
      upstreams: [upstream.resilience.health.snapshot()],
      caches: cacheSummaries(services),
    };
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  return router;
}
