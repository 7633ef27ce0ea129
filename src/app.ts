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
import { healthz } from './http/health.js';
import { createDicomwebRouter, type RouteModule } from './dicomweb/routes.js';
import { qidoRoutes } from './dicomweb/qido/routes.js';
import { wadoRoutes } from './dicomweb/wado/routes.js';
import type { GatewayServices } from './services.js';

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
  return [
    qidoRoutes(services),
    wadoRoutes(services),
  ];
}

export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? pino({ level: config.log.level });
  const services: GatewayServices = {
    config,
    logger,
    upstream: deps.upstream ?? new UpstreamClient(config.upstream, logger),
    metadataCache: deps.metadataCache ?? new MetadataCache(config.cache),
    onClose: [],
  };
  const router = createDicomwebRouter(config.server.basePath, routeModules(services));

  const app = new Koa({ proxy: config.server.trustProxy });
  app.silent = true; // errors are logged by errorMiddleware, once
  app.use(requestContext(logger));
  app.use(errorMiddleware(logger));
  app.use(healthz());
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new NotFoundError(`No DICOMweb resource at ${ctx.path}. The DICOMweb root is ${config.server.basePath}.`, 'NO_SUCH_RESOURCE');
    }
  });

  return {
    ...services,
    app,
    async close() {
      for (const release of services.onClose) await release();
      await services.upstream.close();
    },
  };
}
