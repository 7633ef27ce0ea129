/**
 * What every DICOMweb transaction module is built from. Created once per app in
 * app.ts and passed down; nothing here is a global.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from './config/schema.js';
import type { MetadataCache } from './cache/metadata-cache.js';
import type { UpstreamClient } from './upstream/client.js';

export interface GatewayServices {
  config: GatewayConfig;
  logger: Logger;
  upstream: UpstreamClient;
  /** QIDO and /metadata answers (bounded by bytes, in memory). */
  metadataCache: MetadataCache;
  /** Resources to release on close (disk caches, timers), registered by modules. */
  onClose: Array<() => Promise<void> | void>;
}
