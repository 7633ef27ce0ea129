/**
 * QIDO-RS resources, PS3.18 §10.6.1 Table 10.6.1-1.
 */
import type { RouteModule } from '../routes.js';
import type { GatewayServices } from '../../services.js';
import { createQidoHandlers } from './handlers.js';
import { QidoService } from './service.js';

export function qidoRoutes(services: GatewayServices): RouteModule {
  const qido = createQidoHandlers(new QidoService(services.upstream, services.metadataCache, services.config.qido), services.config);
  return (router) => {
    router.get('/studies', qido.handleSearchStudies);
    router.get('/studies/:study/series', qido.handleSearchStudySeries);
    router.get('/series', qido.handleSearchSeries);
    router.get('/studies/:study/instances', qido.handleSearchStudyInstances);
    router.get('/studies/:study/series/:series/instances', qido.handleSearchSeriesInstances);
    router.get('/instances', qido.handleSearchInstances);
  };
}
