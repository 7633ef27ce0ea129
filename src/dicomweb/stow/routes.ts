/**
 * STOW-RS resources, PS3.18 §10.5.1.1 Table 10.5.1-1: All Studies and Study.
 */
import type { RouteModule } from '../routes.js';
import type { GatewayServices } from '../../services.js';
import { createStowHandlers } from './handlers.js';
import { spoolBaseDirectory } from './spool.js';
import { removeStaleSpools } from './spool-cleanup.js';

export function stowRoutes(services: GatewayServices): RouteModule {
  removeStaleSpools(spoolBaseDirectory(services.config.stow.spoolDir), services.logger);
  const stow = createStowHandlers(services);
  return (router) => {
    router.post('/studies', stow.handleStoreInstances);
    router.post('/studies/:study', stow.handleStoreStudyInstances);
  };
}
