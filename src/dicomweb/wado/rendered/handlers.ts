/**
 * Handlers of the Rendered (PS3.18 §10.4.1.1.3) and Thumbnail (§10.4.1.1.4)
 * resources at study, series, instance and frame level.
 * - One image (instance, single frame): the image itself, or multipart with one
 *   part when the client asks for multipart/related.
 * - Several (study, series, frame list): multipart/related, one rendered image
 *   per part in display order (§10.4.3.3, §8.6); non-image instances skipped.
 * - Thumbnail: one small image of the representative instance (selection.ts).
 */
import type { Context } from 'koa';
import type { GatewayServices } from '../../../services.js';
import { publicBaseUrl } from '../../../http/base-url.js';
import { clientAbortSignal } from '../resource.js';
import { NotRenderableError } from './errors.js';
import { notAcceptable, negotiateRendered, type RenderedChoice, type RenderedNegotiation } from './negotiate.js';
import { parseFrameList, parseRenderQuery, thumbnailParams, type ParsedRenderQuery } from './params.js';
import type { ImageTarget, RenderService } from './render-service.js';
import { sendRenderedImage, sendRenderedMultipart, type RenderedPart } from './send.js';
import type { ImageSelection, SeriesImage } from './selection.js';

export interface RenderedHandlers {
  handleRetrieveRenderedStudy(ctx: Context): Promise<void>;
  handleRetrieveRenderedSeries(ctx: Context): Promise<void>;
  handleRetrieveRenderedInstance(ctx: Context): Promise<void>;
  handleRetrieveRenderedFrames(ctx: Context): Promise<void>;
  handleRetrieveStudyThumbnail(ctx: Context): Promise<void>;
  handleRetrieveSeriesThumbnail(ctx: Context): Promise<void>;
  handleRetrieveInstanceThumbnail(ctx: Context): Promise<void>;
  handleRetrieveFramesThumbnail(ctx: Context): Promise<void>;
}

interface Request {
  query: ParsedRenderQuery;
  negotiation: RenderedNegotiation;
  signal: AbortSignal;
}

const params = (ctx: Context) => ctx.params as Record<string, string>;

export function createRenderedHandlers(services: GatewayServices, render: RenderService, selection: ImageSelection): RenderedHandlers {
  const { config, logger } = services;
  const maxAge = config.wado.renderedMaxAgeSeconds;

  function begin(ctx: Context, many: boolean, thumbnail = false): Request {
    const parsed = parseRenderQuery(ctx.querystring);
    const query = thumbnail ? thumbnailParams(parsed, config.wado.thumbnailSize) : parsed;
    const accept = query.accept ?? ctx.get('accept');
    const negotiation = negotiateRendered(accept, many);
    if (!negotiation.image && (many || thumbnail || !negotiation.pdf)) throw notAcceptable(accept, many);
    return { query, negotiation, signal: clientAbortSignal(ctx) };
  }

  function locationOf(ctx: Context, target: ImageTarget): string {
    const { study, series, instance } = target.ref;
    return `${publicBaseUrl(ctx, config.server)}/studies/${study}/series/${series}/instances/${instance}${target.frame ? `/frames/${target.frame}` : ''}/rendered`;
  }

  async function renderOne(req: Request, target: ImageTarget) {
    return render.render({ target, params: req.query.params, imageType: req.negotiation.image?.imageType, acceptPdf: req.negotiation.pdf }, req.signal);
  }

  async function sendOne(ctx: Context, req: Request, target: ImageTarget): Promise<void> {
    const result = await renderOne(req, target);
    if (!req.negotiation.image?.multipart || result.meta.mediaType === 'application/pdf') {
      sendRenderedImage(ctx, result, maxAge, req.query.warnings);
      return;
    }
    await sendMany(ctx, req, req.negotiation.image, [async () => ({ result, location: locationOf(ctx, target) })]);
  }

  async function sendMany(ctx: Context, req: Request, choice: RenderedChoice, parts: Array<() => Promise<RenderedPart>>): Promise<void> {
    await sendRenderedMultipart(ctx, parts, { imageType: choice.imageType, maxAgeSeconds: maxAge, warnings: req.query.warnings, signal: req.signal, log: logger });
  }

  function partsOf(ctx: Context, req: Request, targets: ImageTarget[], what: string): Array<() => Promise<RenderedPart>> {
    if (targets.length === 0) throw new NotRenderableError(`The ${what} holds no images to render (only reports, documents or other non-image objects).`);
    return targets.map((target) => async () => ({ result: await renderOne(req, target), location: locationOf(ctx, target) }));
  }

  const whole = (images: SeriesImage[]): ImageTarget[] => images.map((i) => ({ ref: i.ref }));

  async function sendThumbnail(ctx: Context, choose: () => Promise<ImageTarget>): Promise<void> {
    const req = begin(ctx, false, true);
    const target = await choose();
    const result = await renderOne({ ...req, negotiation: { image: { imageType: req.negotiation.image!.imageType, multipart: false }, pdf: false } }, target);
    sendRenderedImage(ctx, result, maxAge, req.query.warnings);
  }

  return {
    /** §10.4.1.1.3 /studies/{study}/rendered */
    async handleRetrieveRenderedStudy(ctx) {
      const req = begin(ctx, true);
      await sendMany(ctx, req, req.negotiation.image!, partsOf(ctx, req, whole(await selection.studyImages(params(ctx).study!)), 'study'));
    },
    /** §10.4.1.1.3 /studies/{study}/series/{series}/rendered */
    async handleRetrieveRenderedSeries(ctx) {
      const { study, series } = params(ctx);
      const req = begin(ctx, true);
      await sendMany(ctx, req, req.negotiation.image!, partsOf(ctx, req, whole(await selection.seriesImages(study!, series!)), 'series'));
    },
    /** §10.4.1.1.3 /studies/{study}/series/{series}/instances/{instance}/rendered */
    async handleRetrieveRenderedInstance(ctx) {
      const { study, series, instance } = params(ctx);
      await sendOne(ctx, begin(ctx, false), { ref: { study: study!, series: series!, instance: instance! } });
    },
    /** §10.4.1.1.3 /studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered */
    async handleRetrieveRenderedFrames(ctx) {
      const { study, series, instance, frames } = params(ctx);
      const list = parseFrameList(frames!);
      const ref = { study: study!, series: series!, instance: instance! };
      const req = begin(ctx, list.length > 1);
      if (list.length === 1) return sendOne(ctx, req, { ref, frame: list[0]! });
      await sendMany(ctx, req, req.negotiation.image!, partsOf(ctx, req, list.map((frame) => ({ ref, frame })), 'frame list'));
    },
    /** §10.4.1.1.4 /studies/{study}/thumbnail */
    handleRetrieveStudyThumbnail: (ctx) => sendThumbnail(ctx, () => selection.thumbnailOfStudy(params(ctx).study!)),
    /** §10.4.1.1.4 /studies/{study}/series/{series}/thumbnail */
    handleRetrieveSeriesThumbnail: (ctx) => sendThumbnail(ctx, () => selection.thumbnailOfSeries(params(ctx).study!, params(ctx).series!)),
    /** §10.4.1.1.4 /studies/{study}/series/{series}/instances/{instance}/thumbnail */
    handleRetrieveInstanceThumbnail(ctx) {
      const { study, series, instance } = params(ctx);
      return sendThumbnail(ctx, () => selection.thumbnailOfInstance({ study: study!, series: series!, instance: instance! }));
    },
    /** §10.4.1.1.4 /studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail (first listed frame) */
    handleRetrieveFramesThumbnail(ctx) {
      const { study, series, instance, frames } = params(ctx);
      const frame = parseFrameList(frames!)[0]!;
      return sendThumbnail(ctx, () => selection.thumbnailOfInstance({ study: study!, series: series!, instance: instance! }, frame));
    },
  };
}
