/**
 * The DICOMweb resource tree (PS3.18 §10). Path UIDs are validated here, before
 * any handler runs, so that nothing but a UID can reach an upstream path.
 * Each transaction module (QIDO, WADO, frames, rendered, STOW…) registers its
 * own routes on the router through a RouteModule.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { BadRequestError } from '../http/errors.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import { authorizeStudyParam } from '../security/hooks.js';

const UID_PARAMS: Record<string, string> = { study: 'Study Instance UID', series: 'Series Instance UID', instance: 'SOP Instance UID' };

function validateUid(name: string) {
  return async (uid: string, ctx: Context, next: Next) => {
    if (!isSafeUidSegment(uid)) {
      throw new BadRequestError('INVALID_UID', `${UID_PARAMS[name]} "${uid.slice(0, 80)}" in the path is not a valid UID (digits and dots, at most 64 characters).`, { parameter: name });
    }
    // Every study-scoped resource: 404, as for a missing study, when the caller may not see it.
    if (name === 'study') await authorizeStudyParam(ctx, uid);
    return next();
  };
}

/** Registers one transaction's routes; paths are relative to the DICOMweb root. */
export type RouteModule = (router: Router) => void;

export function createDicomwebRouter(basePath: string, modules: readonly RouteModule[]): Router {
  const router = new Router({ prefix: basePath });
  for (const name of Object.keys(UID_PARAMS)) router.param(name, validateUid(name));
  for (const register of modules) register(router);
  return router;
}
