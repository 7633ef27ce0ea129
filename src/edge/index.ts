/**
 * The edge cache (types.ts): built once per gateway in app.ts buildServices and
 * reached as services.edge by prefetch jobs and WADO-RS.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { StateDatabase } from '../state/database.js';
import type { UpstreamClient } from '../upstream/client.js';
import { EdgeCacheImpl } from './cache.js';
import { disabledEdgeCache } from './disabled.js';
import { EdgeFiles } from './files.js';
import { SqliteEdgeRepository, type EdgeRepository } from './repository.js';
import type { EdgeCache } from './types.js';

export type { EdgeCache, EdgeInstance, EdgeStats, EdgeStudySummary, InstanceUids, SeriesFetch, SeriesFetchOptions } from './types.js';
export { EdgeBadInstanceError, EdgeClosedError, EdgeDisabledError, EdgeFullError, EdgeInstanceTooLargeError, EdgeMetadataError, EdgeSeriesPartMissingError } from './errors.js';

export interface EdgeCacheDeps {
  config: GatewayConfig['edge'];
  state: StateDatabase;
  upstream: UpstreamClient;
  logger: Logger;
  /** Another index backend (default: SQLite tables in the state database). */
  repository?: EdgeRepository;
}

/** The folder of the edge files: edge.dir, or "edge" inside the state folder. */
export function edgeDir(config: GatewayConfig['edge'], state: StateDatabase): string {
  return config.dir ?? path.join(state.dir, 'edge');
}

export function createEdgeCache(deps: EdgeCacheDeps): EdgeCache {
  const { config } = deps;
  if (!config.enabled) return disabledEdgeCache(config.maxBytes);
  return new EdgeCacheImpl({
    repo: deps.repository ?? new SqliteEdgeRepository(deps.state),
    files: new EdgeFiles(edgeDir(config, deps.state)),
    upstream: deps.upstream,
    log: deps.logger.child({ module: 'edge' }),
    maxBytes: config.maxBytes,
    verify: config.verify,
  });
}
