/**
 * WADO-RS frames and bulk data (PS3.18 §10.4.1.1.5 Bulkdata resources,
 * §10.4.1.1.6 Pixel Data resources), with the on-disk instance store they
 * share. Registered by one line in app.ts routeModules().
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { GatewayConfig } from '../../../config/schema.js';
import { InstanceStore } from '../../../cache/instance-store.js';
import type { GatewayServices } from '../../../services.js';
import type { RouteModule } from '../../routes.js';
import { BulkdataService, createBulkdataHandlers } from '../bulkdata/handlers.js';
import { createFrameHandlers } from './handlers.js';
import { describeInstance, type InstanceSummary } from './frame-index.js';
import { FrameService } from './service.js';
import { DecodedCopies } from './decoded-copies.js';
import type { SeriesReadAhead } from '../read-ahead.js';
import { EdgeFrameSource } from './edge-frames.js';

const INSTANCE = '/studies/:study/series/:series/instances/:instance';

/**
 * The store's own folder: DiskLru empties its folder at start, so it never
 * shares one. Without a configured folder each gateway gets a fresh one.
 */
export function instanceCacheDir(wado: GatewayConfig['wado']): string {
  if (wado.instanceCacheDir) return path.join(wado.instanceCacheDir, 'instances');
  return path.join(os.tmpdir(), `dicomweb-gateway-instances-${process.pid}-${randomUUID().slice(0, 8)}`);
}

export function createInstanceStore(services: GatewayServices): InstanceStore<InstanceSummary> {
  const { wado } = services.config;
  const store = new InstanceStore<InstanceSummary>(
    { dir: instanceCacheDir(wado), maxBytes: wado.instanceCacheMaxBytes, maxInstanceBytes: wado.instanceCacheMaxInstanceBytes },
    services.upstream,
    describeInstance,
    services.logger,
    services.edge.enabled ? services.edge : undefined,
  );
  services.onClose.push(() => store.close());
  services.onStudyChanged.push((studyUid) => void store.invalidateStudy(studyUid));
  services.statusSources.instanceStore = () => store.stats();
  services.metrics.addStatsGauges('instance_store', 'Instance store for frames and bulk data', () => ({ ...store.stats() }));
  return store;
}

/** Decoded copies of compressed instances, beside the instance store (a folder of their own: DiskLru empties it at start). */
function createDecodedCopies(services: GatewayServices): DecodedCopies {
  const { wado } = services.config;
  const copies = new DecodedCopies(`${instanceCacheDir(wado)}-decoded`, wado.decodedCacheMaxBytes, services.logger);
  services.onClose.push(() => copies.close());
  services.onStudyChanged.push((studyUid) => void copies.invalidateStudy(studyUid));
  services.statusSources.decodedCopies = () => copies.stats();
  services.metrics.addStatsGauges('decoded_copies', 'Decoded copies of compressed instances for uncompressed frame requests', () => ({ ...copies.stats() }));
  return copies;
}

export function frameRoutes(services: GatewayServices, readAhead?: SeriesReadAhead, store = createInstanceStore(services)): RouteModule {
  const copies = services.config.wado.decodedCacheMaxBytes > 0 ? createDecodedCopies(services) : undefined;
  const frames = createFrameHandlers(new FrameService(services.upstream, store, services.logger, copies, readAhead, services.edge.enabled ? new EdgeFrameSource(services.edge) : undefined), services.config);
  const bulk = createBulkdataHandlers(new BulkdataService(services.upstream, store));
  return (router) => {
    router.get(`${INSTANCE}/frames/:frames`, frames.handleRetrieveInstanceFrames);
    router.get(`${INSTANCE}/bulk/{*rest}`, bulk.handleRetrieveBulkdata);
  };
}
