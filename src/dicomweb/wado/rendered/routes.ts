/**
 * WADO-RS Rendered (PS3.18 §10.4.1.1.3) and Thumbnail (§10.4.1.1.4)
 * resources. Registered before the other WADO modules; the paths do not
 * overlap, but the frame-list segment is validated here (parseFrameList).
 */
import type { RouteModule } from '../../routes.js';
import type { GatewayServices } from '../../../services.js';
import { createRenderedHandlers } from './handlers.js';
import { InstanceInfo } from './instance-info.js';
import { RenderService } from './render-service.js';
import { RenderedCache, renderedCacheDir } from './rendered-cache.js';
import { ImageSelection } from './selection.js';
import { StoredInstances } from './stored-instance.js';
import { EdgeDescriptions } from './edge-descriptions.js';

export function renderedRoutes(services: GatewayServices): RouteModule {
  const { config, upstream, metadataCache, logger } = services;
  const cache = new RenderedCache(renderedCacheDir(config.wado.instanceCacheDir), config.wado.renderedCacheMaxBytes);
  const edge = config.edge.enabled ? services.edge : undefined;
  const stored = new StoredInstances(upstream, config.wado.renderedMaxInstanceBytes, edge);
  const info = new InstanceInfo(upstream, metadataCache, edge && new EdgeDescriptions(edge));
  const render = new RenderService(upstream, cache, info, stored, logger, edge);
  const h = createRenderedHandlers(services, render, new ImageSelection(info));
  services.onStudyChanged.push((studyUid) => void cache.invalidateStudy(studyUid));
  services.onClose.push(() => {
    cache.close();
    stored.clear();
  });
  const instance = '/studies/:study/series/:series/instances/:instance';
  return (router) => {
    router.get('/studies/:study/rendered', h.handleRetrieveRenderedStudy);
    router.get('/studies/:study/series/:series/rendered', h.handleRetrieveRenderedSeries);
    router.get(`${instance}/rendered`, h.handleRetrieveRenderedInstance);
    router.get(`${instance}/frames/:frames/rendered`, h.handleRetrieveRenderedFrames);
    router.get('/studies/:study/thumbnail', h.handleRetrieveStudyThumbnail);
    router.get('/studies/:study/series/:series/thumbnail', h.handleRetrieveSeriesThumbnail);
    router.get(`${instance}/thumbnail`, h.handleRetrieveInstanceThumbnail);
    router.get(`${instance}/frames/:frames/thumbnail`, h.handleRetrieveFramesThumbnail);
  };
}
