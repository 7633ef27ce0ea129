/**
 * The clinical-layer routes outside the DICOMweb root, behind the same
 * security middleware as /dicom-web (route-kind.ts classifies /fhir as read):
 * - GET /fhir/ImagingStudy, GET /fhir/ImagingStudy/{id}: FHIR R4 façade (handlers.ts);
 * - GET /viewer/studies/{study}: redirect to the full viewer (viewer-link.ts).
 * Mounted before src/viewer's /viewer/* routes, which serve the OHIF build.
 */
import Router from '@koa/router';
import { QidoService } from '../dicomweb/qido/service.js';
import type { GatewayServices } from '../services.js';
import { createFhirHandlers } from './handlers.js';
import { fhirErrors } from './outcome.js';
import { StudySource } from './study-source.js';
import { createViewerLinkHandler } from './viewer-link.js';

export function fhirRoutes(services: GatewayServices): ReturnType<Router['routes']> {
  const { config } = services;
  const source = new StudySource(new QidoService(services.upstream, services.metadataCache, config.qido));
  const fhir = createFhirHandlers(source, config);
  const router = new Router();
  router.get('/fhir/ImagingStudy', fhirErrors(), fhir.handleSearchImagingStudy);
  router.get('/fhir/ImagingStudy/:id', fhirErrors(), fhir.handleReadImagingStudy);
  router.all('/fhir', fhirErrors(), fhir.handleUnsupportedFhir);
  router.all('/fhir/{*rest}', fhirErrors(), fhir.handleUnsupportedFhir);
  router.get('/viewer/studies/:study', createViewerLinkHandler(source, config));
  return router.routes();
}
