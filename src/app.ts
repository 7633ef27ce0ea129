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
import { createDicomwebRouter } from './dicomweb/routes.js';
import { createQidoHandlers } from './dicomweb/qido/handlers.js';
import { QidoService } from './dicomweb/qido/service.js';

export interface GatewayDeps {
  logger?: Logger;
  upstream?: UpstreamClient;
  cache?: MetadataCache;
}

export interface Gateway {
  app: Koa;
  config: GatewayConfig;
  logger: Logger;
  upstream: UpstreamClient;
  cache: MetadataCache;
  /** Releases upstream sockets; call after the HTTP server has closed. */
  close(): Promise<void>;
}

export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? pino({ level: config.log.level });
  const upstream = deps.upstream ?? new UpstreamClient(config.upstream, logger);
  const cache = deps.cache ?? new MetadataCache(config.cache);
  const qido = createQidoHandlers(new QidoService(upstream, cache, config.qido), config);
  const router = createDicomwebRouter(config.server.basePath, { qido });

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
    app,
    config,
    logger,
    upstream,
    cache,
    close: () => upstream.close(),
  };
}
