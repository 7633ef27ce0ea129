/**
 * The patient identity module (PIX-like cross-reference), assembled from the
 * gateway's services: migrates its tables in the state database, builds the
 * SQLite repositories, the link-backed resolver (services.identity), the
 * /api/identity and /api/reconciliation routes, its metrics and its /status
 * summary (services.statusSources.identity).
 */
import { NoLinkQuota } from './no-link-quota.js';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { GatewayServices } from '../services.js';
import { SqliteLinkRepository, type LinkRepository } from './link-repository.js';
import { LinkedIdentityResolver } from './linked-resolver.js';
import { IdentityMetrics } from './metrics.js';
import { IDENTITY_MIGRATIONS } from './migrations.js';
import { ReconciliationActions } from './reconciliation-actions.js';
import { SqliteReconciliationRepository, type ReconciliationRepository } from './reconciliation-repository.js';
import { registerLinkRoutes } from './link-routes.js';
import { registerReconciliationRoutes } from './reconciliation-routes.js';

export { IdentityAwareQidoService } from './qido-ehr-search.js';

export interface IdentityModule {
  resolver: LinkedIdentityResolver;
  links: LinkRepository;
  items: ReconciliationRepository;
  /** Koa middleware of the /api/identity/* and /api/reconciliation/* routes. */
  routes(): Middleware;
}

export function createIdentityModule(services: GatewayServices): IdentityModule {
  const { config, state } = services;
  state.migrate('identity', IDENTITY_MIGRATIONS);
  const links = new SqliteLinkRepository(state);
  const items = new SqliteReconciliationRepository(state);
  const observer = new IdentityMetrics(services.metrics.registry, links, items);
  const { ehrIssuers, matchThreshold, maxCandidates } = config.identity;
  services.statusSources.identity = () => ({ ehrIssuers, matchThreshold, ...observer.status() });
  const resolver = new LinkedIdentityResolver({
    links,
    items,
    search: { upstream: services.upstream, ehrIssuers, maxCandidates },
    config: config.identity,
    observer,
    logger: services.logger,
    quota: new NoLinkQuota(config.identity.maxNoLinkItemsPerCallerPerHour),
    caller: () => services.scope.getStore()?.caller,
  });
  const rules = { ehrIssuers };
  const maxBodyBytes = config.security.limits.maxBodyBytes;
  const router = new Router();
  registerLinkRoutes(router, { links, observer, rules, maxBodyBytes });
  registerReconciliationRoutes(router, { items, actions: new ReconciliationActions({ links, items, observer, rules }), maxBodyBytes });
  return { resolver, links, items, routes: () => router.routes() as unknown as Middleware };
}
