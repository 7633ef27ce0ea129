/**
 * Builds the gateway application from a validated config and its dependencies.
 * It never listens: main.ts (or a test) does.
 */
import Koa from 'koa';
import { pino, type Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import { MetadataCache } from './cache/metadata-cache.js';
import { UpstreamClient } from './upstream/client.js';
import { errorMiddleware } from './http/error-middleware.js';
import { NotFoundError } from './http/errors.js';
import { requestContext } from './http/request-context.js';
import { opsRouter } from './ops/routes.js';
import { GatewayMetrics } from './ops/metrics.js';
import { createRequestScopeStorage, recordCaller } from './http/request-scope.js';
import { createDicomwebRouter, type RouteModule } from './dicomweb/routes.js';
import { qidoRoutes } from './dicomweb/qido/routes.js';
import { renderedRoutes } from './dicomweb/wado/rendered/routes.js';
import { wadoRoutes } from './dicomweb/wado/routes.js';
import { frameRoutes } from './dicomweb/wado/frames/routes.js';
import { createReadAhead } from './dicomweb/wado/read-ahead.js';
import { stowRoutes } from './dicomweb/stow/routes.js';
import type { GatewayServices } from './services.js';
import { createSecurity, upstreamConnectOptions } from './security/index.js';
import { viewerRoutes } from './viewer/routes.js';
import { fhirRoutes } from './fhir/routes.js';
import { openStateDatabase } from './state/database.js';
import { passThroughIdentity } from './identity/pass-through.js';
import { createIdentityModule } from './identity/index.js';
import { createPrefetch } from './prefetch/index.js';
import { createEdgeCache } from './edge/index.js';

export interface GatewayDeps {
  logger?: Logger;
  upstream?: UpstreamClient;
  metadataCache?: MetadataCache;
}

export interface Gateway extends GatewayServices {
  app: Koa;
  /** Releases upstream sockets and module resources; call after the HTTP server has closed. */
  close(): Promise<void>;
}

/** The transaction modules, in registration order (more specific routes first). */
function routeModules(services: GatewayServices): RouteModule[] {
  // Shared: frames of a stack and repeated series retrieves both read a series ahead into the edge.
  const readAhead = createReadAhead(services);
  return [
    qidoRoutes(services),
    renderedRoutes(services),
    wadoRoutes(services, readAhead),
    frameRoutes(services, readAhead),
    stowRoutes(services),
  ];
}

function buildServices(config: GatewayConfig, deps: GatewayDeps): GatewayServices {
  const logger = deps.logger ?? pino({ level: config.log.level, redact: { paths: REDACTED_LOG_PATHS, censor: '[PHI]' } });
  const metrics = new GatewayMetrics(config.upstream.name);
  const scope = createRequestScopeStorage();
  const metadataCache = deps.metadataCache ?? new MetadataCache(config.cache);
  metrics.addStatsGauges('metadata_cache', 'Metadata cache', () => ({ ...metadataCache.stats() }));
  const upstream = deps.upstream ?? new UpstreamClient(config.upstream, logger, { scope, observer: metrics, tls: upstreamConnectOptions(config.security.upstreamTls) });
  const state = openStateDatabase(config.state, logger);
  const edge = createEdgeCache({ config: config.edge, state, upstream, logger });
  metrics.addStatsGauges('edge', 'Edge cache', () => ({ ...edge.stats() }));
  return {
    config,
    logger,
    upstream,
    metadataCache,
    metrics,
    scope,
    lifecycle: { draining: false },
    state,
    identity: passThroughIdentity,
    edge,
    statusSources: { metadata: () => metadataCache.stats(), edge: () => edge.stats() },
    onStudyChanged: [(studyUid) => void metadataCache.invalidateStudy(studyUid), (studyUid) => void edge.invalidateStudy(studyUid).catch((err: unknown) => logger.warn({ err }, 'edge cache invalidation failed'))],
    onClose: [() => edge.close()],
  };
}

/** Log fields that could carry PHI if a future log call included them by mistake. */
const REDACTED_LOG_PATHS = ['query', 'querystring', 'req.query', '*.PatientName', '*.PatientID', '*.PatientBirthDate', 'headers.authorization'];

export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const services = buildServices(config, deps);
  const identity = createIdentityModule(services); // src/identity: EHR ↔ PACS links, reconciliation, their metrics and /status summary
  services.identity = identity.resolver; // replaces the pass-through placeholder before any module uses it
  const { logger } = services;
  const router = createDicomwebRouter(config.server.basePath, routeModules(services));
  const ops = opsRouter(services);
  const security = createSecurity(services);
  services.onClose.push(() => security.close());
  const prefetch = createPrefetch(services, services.edge); // src/prefetch: /api/prefetch jobs, resumed at start
  services.onClose.unshift(() => prefetch.close()); // first: running jobs stop (saved as resumable) before the edge closes

  const app = new Koa({ proxy: config.server.trustProxy });
  app.silent = true; // errors are logged by errorMiddleware, once
  app.use(requestContext(logger, services.metrics, services.scope));
  app.use(errorMiddleware(logger));
  for (const stage of security.middleware) app.use(stage); // headers/CORS, audit, edge limits, authn/authz
  app.use(recordCaller(services.scope)); // the principal, for the identity module's per-caller bound
  app.use(security.adminRouter.routes());
  app.use(ops.routes());
  app.use(fhirRoutes(services)); // /fhir/ImagingStudy and /viewer/studies/{study} (src/fhir/routes.ts), before /viewer/*
  app.use(viewerRoutes(services)); // /ohif/app-config.js and /viewer/ (src/viewer/routes.ts)
  app.use(prefetch.routes); // /api/prefetch (src/prefetch/index.ts)
  app.use(identity.routes()); // /api/identity/* and /api/reconciliation/* (src/identity/link-routes.ts, reconciliation-routes.ts)
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new NotFoundError(`No DICOMweb resource at ${ctx.path}. The DICOMweb root is ${config.server.basePath}.`, 'NO_SUCH_RESOURCE');
    }
  });

  void prefetch.start();
  return {
    ...services,
    app,
    async close() {
      for (const release of services.onClose) await release();
      await services.upstream.close();
      services.state.close();
    },
  };
}
