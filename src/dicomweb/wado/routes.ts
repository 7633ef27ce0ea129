/**
 * WADO-RS resources for instances and metadata (PS3.18 §10.4.1.1.1–2).
 * Frames, bulk data and rendered resources register their own modules.
 */
import type { RouteModule } from '../routes.js';
import type { GatewayServices } from '../../services.js';
import { createRetrieveHandlers } from './retrieve.js';
import { createMetadataHandlers } from './metadata.js';
import type { SeriesReadAhead } from './read-ahead.js';

export function wadoRoutes(services: GatewayServices, readAhead?: SeriesReadAhead): RouteModule {
  const retrieve = createRetrieveHandlers(services, readAhead);
  const metadata = createMetadataHandlers(services);
  return (router) => {
    router.get('/studies/:study', retrieve.handleRetrieveStudy);
    router.get('/studies/:study/metadata', metadata.handleRetrieveStudyMetadata);
    router.get('/studies/:study/series/:series', retrieve.handleRetrieveSeries);
    router.get('/studies/:study/series/:series/metadata', metadata.handleRetrieveSeriesMetadata);
    router.get('/studies/:study/series/:series/instances/:instance', retrieve.handleRetrieveInstance);
    router.get('/studies/:study/series/:series/instances/:instance/metadata', metadata.handleRetrieveInstanceMetadata);
  };
}
