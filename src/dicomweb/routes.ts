/**
 * The DICOMweb resource tree (PS3.18 §10). Path UIDs are validated here, before
 * any handler runs, so that nothing but a UID can reach an upstream path.
 */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { BadRequestError } from '../http/errors.js';
import { isSafeUidSegment } from '../dicom/uid.js';
import type { QidoHandlers } from './qido/handlers.js';

const UID_PARAMS: Record<string, string> = { study: 'Study Instance UID', series: 'Series Instance UID', instance: 'SOP Instance UID' };

function validateUid(name: string) {
  return async (uid: string, ctx: Context, next: Next) => {
    if (!isSafeUidSegment(uid)) {
      throw new BadRequestError('INVALID_UID', `${UID_PARAMS[name]} "${uid.slice(0, 80)}" in the path is not a valid UID (digits and dots, at most 64 characters).`, { parameter: name });
    }
    return next();
  };
}

export interface DicomwebHandlers {
  qido: QidoHandlers;
}

export function createDicomwebRouter(basePath: string, handlers: DicomwebHandlers): Router {
  const router = new Router({ prefix: basePath });
  for (const name of Object.keys(UID_PARAMS)) router.param(name, validateUid(name));
  const { qido } = handlers;
  router.get('/studies', qido.handleSearchStudies);
  router.get('/studies/:study/series', qido.handleSearchStudySeries);
  router.get('/series', qido.handleSearchSeries);
  router.get('/studies/:study/instances', qido.handleSearchStudyInstances);
  router.get('/studies/:study/series/:series/instances', qido.handleSearchSeriesInstances);
  router.get('/instances', qido.handleSearchInstances);
  return router;
}
