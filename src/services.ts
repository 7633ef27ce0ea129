/**
 * What every DICOMweb transaction module is built from. Created once per app in
 * app.ts and passed down; nothing here is a global.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import type { MetadataCache } from './cache/metadata-cache.js';
import type { UpstreamClient } from './upstream/client.js';
import type { GatewayMetrics } from './ops/metrics.js';
import type { RequestScopeStorage } from './http/request-scope.js';
import type { StateDatabase } from './state/database.js';
import type { IdentityResolver } from './identity/resolver.js';
import type { EdgeCache } from './edge/types.js';

export interface Lifecycle {
  /** True once shutdown began: readiness answers 503, in-flight requests finish. */
  draining: boolean;
}

export interface GatewayServices {
  config: GatewayConfig;
  logger: Logger;
  upstream: UpstreamClient;
  /** QIDO and /metadata answers (bounded by bytes, in memory). */
  metadataCache: MetadataCache;
  metrics: GatewayMetrics;
  /** Request id and trace context, reachable from the upstream client. */
  scope: RequestScopeStorage;
  lifecycle: Lifecycle;
  /** Durable state (SQLite in state.dir); modules migrate and own their tables. */
  state: StateDatabase;
  /** EHR ↔ PACS patient identity (src/identity): used by QIDO-RS, prefetch and FHIR. */
  identity: IdentityResolver;
  /** Prefetched instances and study metadata on disk (src/edge): WADO-RS serves from it without the archive. */
  edge: EdgeCache;
  /** Named summaries shown by /status (caches register theirs). */
  statusSources: Record<string, () => unknown>;
  /**
   * Called after a study changed through the gateway (STOW-RS stored into it):
   * every cache holding something of that study registers here to drop it.
   */
  onStudyChanged: Array<(studyUid: string) => void>;
  /** Resources to release on close (disk caches, timers), registered by modules. */
  onClose: Array<() => Promise<void> | void>;
}

/** Tells every cache that a study changed, so viewers see new instances at once. */
export function notifyStudyChanged(services: Pick<GatewayServices, 'onStudyChanged'>, studyUid: string): void {
  for (const listener of services.onStudyChanged) listener(studyUid);
}
