/**
 * GET /viewer/studies/{study}: a 302 to the configured full viewer for one
 * study (links.viewerUrlTemplate; default OHIF's
 * `{viewerBase}/viewer?StudyInstanceUIDs={study}`). The UID is validated like
 * every DICOMweb path UID, and the study must be one the caller may see and the
 * archive holds (404 otherwise, exactly like WADO-RS, PS3.18 §10.4), so a link
 * never confirms that a hidden study exists.
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../config/schema.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { BadRequestError, GatewayError } from '../http/errors.js';
import { ForbiddenError } from '../security/errors.js';
import { hasRole } from '../security/policy.js';
import type { Principal } from '../security/principal.js';
import type { StudySource } from './study-source.js';
import { dicomwebRootOf, gatewayRootOf } from './urls.js';

export interface ViewerLinkValues {
  viewerBase: string;
  study: string;
  dicomwebRoot: string;
}

/** Fills the template; {dicomwebRoot} is URL-encoded because viewers take it as a query value. */
export function viewerUrl(template: string, values: ViewerLinkValues): string {
  return template.replace(/\{(viewerBase|study|dicomwebRoot)\}/g, (_, name: keyof ViewerLinkValues) =>
    name === 'dicomwebRoot' ? encodeURIComponent(values.dicomwebRoot) : values[name].replace(/\/+$/, ''));
}

export function createViewerLinkHandler(source: StudySource, config: GatewayConfig) {
  /** 302 to the full viewer of one study the caller may read. */
  return async function handleViewerStudyLink(ctx: Context): Promise<void> {
    // /viewer/* is not a DICOMweb route, so route-kind gives it no role: the link reveals a study, so it needs "read".
    const principal = ctx.state.principal as Principal | undefined;
    if (!principal) throw new GatewayError(500, 'SECURITY_NOT_INSTALLED', 'Internal error', 'The gateway\'s security layer did not run for this request; the request was refused.');
    if (!hasRole(principal, 'read')) throw new ForbiddenError('INSUFFICIENT_SCOPE', 'Viewer links need the "read" role.', 'read');
    const study = String(ctx.params.study ?? '');
    if (!isSafeUidSegment(study)) {
      throw new BadRequestError('INVALID_UID', `Study Instance UID "${study.slice(0, 80)}" in the path is not a valid UID (digits and dots, at most 64 characters).`, { parameter: 'study' });
    }
    const dicomwebRoot = dicomwebRootOf(ctx, config);
    await source.study(ctx, study, dicomwebRoot);
    const viewerBase = config.links.viewerBase ?? `${gatewayRootOf(ctx, config)}/viewer`;
    ctx.set('Cache-Control', 'private, no-store');
    ctx.redirect(viewerUrl(config.links.viewerUrlTemplate, { viewerBase, study, dicomwebRoot }));
  };
}
