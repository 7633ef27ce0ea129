/**
 * The prefetch module, assembled: job store on the state database, runner,
 * manager, metrics, /status summary and the /api/prefetch router (classified
 * as route kind 'prefetch' by src/security/route-kind.ts: read role, audited
 * as "Begin Transferring DICOM Instances").
 *
 *   POST   /api/prefetch              start a job         202 + Location
 *   GET    /api/prefetch              recent jobs         ?status=a,b&limit=N
 *   GET    /api/prefetch/{id}         one job with its studies
 *   GET    /api/prefetch/{id}/events  text/event-stream: snapshot, progress…, end
 *   DELETE /api/prefetch/{id}         cancel              200 (409 when already ended)
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { QidoService } from '../dicomweb/qido/service.js';
import type { EdgeCache } from '../edge/types.js';
import type { IdentityResolver } from '../identity/resolver.js';
import type { GatewayServices } from '../services.js';
import type { EventStreamOptions } from './events.js';
import { createPrefetchHandlers } from './handlers.js';
import { PrefetchManager } from './manager.js';
import { PrefetchMetrics } from './metrics.js';
import type { PrefetchRepository } from './repository.js';
import { JobRunner } from './runner.js';
import { SqlitePrefetchRepository } from './sqlite-repository.js';
import { StudyFetcher } from './study-fetch.js';

export interface Prefetch {
  manager: PrefetchManager;
  /** Mount with app.use() before the DICOMweb router. */
  routes: Middleware;
  /** Resumes unfinished jobs; never rejects (problems are logged). */
  start(): Promise<void>;
  /** Stops running jobs, saved as resumable. */
  close(): Promise<void>;
}

export interface PrefetchOptions {
  repo?: PrefetchRepository;
  events?: EventStreamOptions;
}

export function createPrefetch(services: GatewayServices, edge: EdgeCache, options: PrefetchOptions = {}): Prefetch {
  const { config, logger } = services;
  const log = logger.child({ module: 'prefetch' });
  const repo = options.repo ?? new SqlitePrefetchRepository(services.state);
  const qido = new QidoService(services.upstream, services.metadataCache, config.qido);
  const retry = { retries: config.prefetch.retries, initialDelayMs: config.prefetch.retryInitialDelayMs, maxDelayMs: config.prefetch.retryMaxDelayMs };
  const fetcher = new StudyFetcher({ upstream: services.upstream, edge, metadataCache: services.metadataCache, qido, retry, instanceConcurrency: config.prefetch.instanceConcurrency, log });
  // Read at each call: the identity layer may be swapped in after this module is built.
  const identity: IdentityResolver = { resolve: (i, options) => services.identity.resolve(i, options), screenStudies: (r, rows) => services.identity.screenStudies(r, rows) };
  const runner = new JobRunner({ identity, qido, fetcher, retry, maxStudiesPerJob: config.prefetch.maxStudiesPerJob, upstreamName: services.upstream.name, log });
  const metrics = new PrefetchMetrics(services.metrics.registry, repo);
  const manager = new PrefetchManager({ repo, runner, config: config.prefetch, log, metrics });
  services.statusSources.prefetch = () => manager.summary();
  return {
    manager,
    routes: prefetchRoutes(createPrefetchHandlers({ services, manager, edge, events: options.events })),
    start: () => manager.start().catch((err: unknown) => log.error({ err }, 'prefetch: could not resume jobs')),
    close: () => manager.close(),
  };
}

function prefetchRoutes(h: ReturnType<typeof createPrefetchHandlers>): Middleware {
  const router = new Router();
  router.post('/api/prefetch', h.handleCreatePrefetchJob);
  router.get('/api/prefetch', h.handleListPrefetchJobs);
  router.all('/api/prefetch', h.handleMethodNotAllowed);
  router.get('/api/prefetch/:id/events', h.handlePrefetchJobEvents);
  router.all('/api/prefetch/:id/events', h.handleMethodNotAllowed);
  router.get('/api/prefetch/:id', h.handleGetPrefetchJob);
  router.delete('/api/prefetch/:id', h.handleCancelPrefetchJob);
  router.all('/api/prefetch/:id', h.handleMethodNotAllowed);
  return router.routes() as unknown as Middleware;
}
