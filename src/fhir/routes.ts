/**
 * The clinical-layer routes outside the DICOMweb root, behind the same
 * security middleware as /dicom-web (route-kind.ts classifies /fhir as read):
 * - GET /fhir/ImagingStudy, GET /fhir/ImagingStudy/{id}: FHIR R4 façade (handlers.ts);
 * - GET /viewer/studies/{study}: redirect to the full viewer (viewer-link.ts).
 * Mounted before src/viewer's /viewer/* routes, which serve the OHIF build.
 */
import Router from '@koa/router';
import { IdentityAwareQidoService } from '../identity/qido-ehr-search.js';
import type { GatewayServices } from '../services.js';
import { createFhirHandlers } from './handlers.js';
import { fhirErrors } from './outcome.js';
import { StudySource } from './study-source.js';
import { createViewerLinkHandler } from './viewer-link.js';

export function fhirRoutes(services: GatewayServices): ReturnType<Router['routes']> {
  const { config } = services;
  // subject:identifier=<EHR issuer>|<id> resolves through the identity links like QIDO-RS does (src/identity/qido-ehr-search.ts).
  const source = new StudySource(new IdentityAwareQidoService(services.upstream, services.metadataCache, services));
  const fhir = createFhirHandlers(source, config);
  const router = new Router();
  router.get('/fhir/ImagingStudy', fhirErrors(), fhir.handleSearchImagingStudy);
  router.get('/fhir/ImagingStudy/:id', fhirErrors(), fhir.handleReadImagingStudy);
  router.all('/fhir', fhirErrors(), fhir.handleUnsupportedFhir);
  router.all('/fhir/{*rest}', fhirErrors(), fhir.handleUnsupportedFhir);
  router.get('/viewer/studies/:study', createViewerLinkHandler(source, config));
  return router.routes();
}
