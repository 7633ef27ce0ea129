/**
 * QIDO-RS resources, PS3.18 §10.6.1 Table 10.6.1-1.
 */
import type { RouteModule } from '../routes.js';
import type { GatewayServices } from '../../services.js';
import { createQidoHandlers } from './handlers.js';
import { IdentityAwareQidoService } from '../../identity/qido-ehr-search.js';

export function qidoRoutes(services: GatewayServices): RouteModule {
  // PatientID + an EHR IssuerOfPatientID is answered through the identity links (src/identity/qido-ehr-search.ts).
  const qido = createQidoHandlers(new IdentityAwareQidoService(services.upstream, services.metadataCache, services), services.config);
  return (router) => {
    router.get('/studies', qido.handleSearchStudies);
    router.get('/studies/:study/series', qido.handleSearchStudySeries);
    router.get('/series', qido.handleSearchSeries);
    router.get('/studies/:study/instances', qido.handleSearchStudyInstances);
    router.get('/studies/:study/series/:series/instances', qido.handleSearchSeriesInstances);
    router.get('/instances', qido.handleSearchInstances);
  };
}
