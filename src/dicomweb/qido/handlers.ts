/**
 * QIDO-RS handlers, PS3.18 §10.6 (Search Transaction). One per resource of
 * Table 10.6.1-1; they differ only in level and path scope.
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../../config/schema.js';
import { NotAcceptableError } from '../../http/errors.js';
import { negotiateJsonOrXml, sendXmlAnswer, XML_MULTIPART_TYPE } from '../xml-answer.js';
import { publicBaseUrl } from '../../http/base-url.js';
import { sendCachedAnswer } from '../../http/send-answer.js';
import type { QueryLevel } from './levels.js';
import { parseQidoQuery } from './params.js';
import type { QidoService } from './service.js';
import { filterSearchAnswer, narrowSearchToCaller } from '../../security/hooks.js';

/** PS3.18 §10.6.3: DICOM JSON is the default; XML (multipart/related dicom+xml) on request (../xml-answer.ts). */
const QIDO_MEDIA_TYPES = ['application/dicom+json', 'application/json'] as const;
const ALL_QIDO_TYPES = [...QIDO_MEDIA_TYPES, XML_MULTIPART_TYPE];

export interface QidoHandlers {
  handleSearchStudies(ctx: Context): Promise<void>;
  handleSearchStudySeries(ctx: Context): Promise<void>;
  handleSearchSeries(ctx: Context): Promise<void>;
  handleSearchStudyInstances(ctx: Context): Promise<void>;
  handleSearchSeriesInstances(ctx: Context): Promise<void>;
  handleSearchInstances(ctx: Context): Promise<void>;
}

export function createQidoHandlers(service: QidoService, config: GatewayConfig): QidoHandlers {
  async function search(ctx: Context, level: QueryLevel): Promise<void> {
    const mediaType = negotiateJsonOrXml(ctx.get('accept'), QIDO_MEDIA_TYPES);
    if (!mediaType) {
      throw new NotAcceptableError(`QIDO-RS answers in ${ALL_QIDO_TYPES.join(', ')}; the Accept header "${ctx.get('accept')}" allows none of them.`, ALL_QIDO_TYPES);
    }
    const query = parseQidoQuery(narrowSearchToCaller(ctx, ctx.querystring), {
      level,
      studyUid: ctx.params.study,
      seriesUid: ctx.params.series,
      ignoredParameters: config.qido.ignoredParameters,
    });
    const { answer, outcome } = await service.search(query, publicBaseUrl(ctx, config.server));
    const visible = await filterSearchAnswer(ctx, answer);
    if (mediaType === XML_MULTIPART_TYPE) sendXmlAnswer(ctx, visible, outcome);
    else sendCachedAnswer(ctx, visible, outcome, mediaType);
  }

  return {
    /** §10.6.1, resource /studies */
    handleSearchStudies: (ctx) => search(ctx, 'study'),
    /** §10.6.1, resource /studies/{study}/series */
    handleSearchStudySeries: (ctx) => search(ctx, 'series'),
    /** §10.6.1, resource /series */
    handleSearchSeries: (ctx) => search(ctx, 'series'),
    /** §10.6.1, resource /studies/{study}/instances */
    handleSearchStudyInstances: (ctx) => search(ctx, 'instance'),
    /** §10.6.1, resource /studies/{study}/series/{series}/instances */
    handleSearchSeriesInstances: (ctx) => search(ctx, 'instance'),
    /** §10.6.1, resource /instances */
    handleSearchInstances: (ctx) => search(ctx, 'instance'),
  };
}
