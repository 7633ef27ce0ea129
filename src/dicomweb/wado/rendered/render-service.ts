/**
 * Renders one image (an instance's first frame, or one frame), PS3.18
 * §10.4.1.1.3 / §8.3.5. Strategy:
 * 1. Ask the upstream's /rendered. Orthanc honours viewport (region, flips,
 *    letterboxing), window (linear, linear-exact, sigmoid) and quality for JPEG
 *    and PNG: such requests pass through unchanged.
 * 2. For WebP/GIF or annotations, ask it for lossless PNG (same viewport and
 *    window) and finish with sharp.
 * 3. Where it cannot render (it answers 400: RGB 16-bit, 32-bit RT Dose, PDF,
 *    SR…), classify the instance (QIDO) and render in the gateway from the
 *    stored file, or serve the PDF, or answer a clear 4xx.
 * Every result goes through the disk cache.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { GatewayError, UpstreamFailureError } from '../../../http/errors.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { isAbortError, mapTransportError } from '../../../upstream/errors.js';
import { annotationSvg } from './annotation.js';
import type { DicomJsonObject } from './dicom-json.js';
import { finishEncoded, finishRaw, type FinishOptions } from './encode.js';
import { NotRenderableError, frameOutOfRange, instanceNotFound } from './errors.js';
import { renderFrameInGateway } from './gateway-render.js';
import { framesOf, instancePath, type InstanceInfo, type InstanceRef } from './instance-info.js';
import { PDF_TYPE, type RenderedImageType } from './negotiate.js';
import { canonicalParams, viewportText, windowText, type RenderParams } from './params.js';
import { extractPdf } from './pdf.js';
import { readBounded } from './read-bounded.js';
import type { RenderedCache, RenderedResult, Rendering } from './rendered-cache.js';
import { SOP_KIND_LABEL, sopKind } from './sop-kinds.js';
import type { StoredInstances } from './stored-instance.js';
import type { EdgeCache } from '../../../edge/types.js';
import { isArchiveOutage } from '../../../edge/outage.js';

/** A rendered image is never larger than this (a 4096² PNG of noise is ~50 MB). */
const MAX_RENDERED_BYTES = 64 * 1024 * 1024;

export interface ImageTarget {
  ref: InstanceRef;
  /** 1-based frame; undefined = the instance as a whole (its first frame). */
  frame?: number;
}

export interface RenderRequest {
  target: ImageTarget;
  params: RenderParams;
  /** Undefined when only application/pdf is acceptable. */
  imageType?: RenderedImageType;
  acceptPdf: boolean;
}

export function describeTarget(t: ImageTarget): string {
  return `${t.frame ? `frame ${t.frame} of ` : ''}instance ${t.ref.instance} in series ${t.ref.series} of study ${t.ref.study}`;
}

function cacheKey(req: RenderRequest): string {
  const { ref, frame } = req.target;
  // Whether PDF is acceptable is not part of the key: only PDF instances answer PDF (checked on the way out).
  return `${ref.study}/${ref.series}/${ref.instance}|f=${frame ?? '-'}|${canonicalParams(req.params)}|${req.imageType ?? '-'}`;
}

function upstreamQuery(params: RenderParams, quality: boolean): string {
  const parts: string[] = [];
  if (params.viewport) parts.push(`viewport=${viewportText(params.viewport)}`);
  if (params.window) parts.push(`window=${windowText(params.window)}`);
  if (quality && params.quality !== undefined) parts.push(`quality=${params.quality}`);
  return parts.join('&');
}

function pdfNotAccepted(target: ImageTarget): NotRenderableError {
  return new NotRenderableError(`${describeTarget(target)} is an Encapsulated PDF document; ask for it with Accept: application/pdf.`, [PDF_TYPE]);
}

export class RenderService {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly cache: RenderedCache,
    private readonly info: InstanceInfo,
    private readonly stored: StoredInstances,
    private readonly log: Logger,
    /** Prefetched instances render here, from the edge cache, while the archive is unavailable. */
    private readonly edge?: EdgeCache,
  ) {}

  async render(req: RenderRequest, signal?: AbortSignal): Promise<RenderedResult> {
    const result = await this.cache.get(cacheKey(req), signal, (shared) => this.produce(req, shared));
    if (result.meta.mediaType === PDF_TYPE && !req.acceptPdf) throw pdfNotAccepted(req.target);
    return result;
  }

  private async produce(req: RenderRequest, signal: AbortSignal): Promise<Rendering> {
    if (!req.imageType) return this.produceInGateway(req, signal);
    const imageType = req.imageType;
    const finishHere = (imageType !== 'image/jpeg' && imageType !== 'image/png') || req.params.annotation.length > 0;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.askUpstream(req, finishHere ? 'image/png' : imageType, !finishHere && imageType === 'image/jpeg', signal);
    } catch (err) {
      if (isArchiveOutage(err) && (await this.edge?.holds(req.target.ref))) return this.produceInGateway(req, signal);
      throw err;
    }
    if (res.statusCode === 200) {
      const body = await this.readRendered(res);
      if (!finishHere) return { body, mediaType: imageType, renderer: 'upstream' };
      const overlay = await this.overlayFor(req);
      return { body: await finishEncoded(body, { imageType, quality: req.params.quality, overlay }), mediaType: imageType, renderer: 'upstream' };
    }
    await res.body.dump().catch(() => undefined);
    if (res.statusCode === 404) throw instanceNotFound(describeTarget(req.target));
    if (res.statusCode === 400 || res.statusCode === 415) return this.produceInGateway(req, signal);
    const failure = await this.upstream.failure(res);
    // The archive is failing: a prefetched instance is rendered here from the edge cache.
    if (isArchiveOutage(failure) && (await this.edge?.holds(req.target.ref))) return this.produceInGateway(req, signal);
    throw failure;
  }

  private async askUpstream(req: RenderRequest, accept: string, quality: boolean, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const { ref, frame } = req.target;
    const path = `${instancePath(ref)}${frame ? `/frames/${frame}` : ''}/rendered`;
    return this.upstream.request({ path, query: upstreamQuery(req.params, quality), headers: { accept }, signal });
  }

  private async readRendered(res: Dispatcher.ResponseData): Promise<Buffer> {
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('image/')) {
      await res.body.dump().catch(() => undefined);
      throw new UpstreamFailureError(this.upstream.name, `answered a rendered request with "${type.slice(0, 60)}" instead of an image.`, 502, 'UPSTREAM_BAD_RESPONSE');
    }
    try {
      return await readBounded(res.body, MAX_RENDERED_BYTES, (size) => new UpstreamFailureError(this.upstream.name, `sent a rendered image too large to relay (${size} bytes).`, 502, 'UPSTREAM_TOO_LARGE'));
    } catch (err) {
      throw err instanceof GatewayError || isAbortError(err) ? err : mapTransportError(err, this.upstream.name);
    }
  }

  private async describe(ref: InstanceRef): Promise<DicomJsonObject> {
    const desc = await this.info.describe(ref);
    if (!desc) throw instanceNotFound(`instance ${ref.instance} in series ${ref.series} of study ${ref.study}`);
    return desc;
  }

  private async overlayFor(req: RenderRequest): Promise<FinishOptions['overlay']> {
    if (req.params.annotation.length === 0) return undefined;
    const instance = await this.describe(req.target.ref);
    const ctx = { instance, frame: req.target.frame ?? 1, frames: framesOf(instance), window: req.params.window };
    return (width, height) => annotationSvg(req.params.annotation, ctx, width, height);
  }

  /** The upstream could not render: find out why, and render here when it is an image. */
  private async produceInGateway(req: RenderRequest, signal: AbortSignal): Promise<Rendering> {
    const { ref, frame } = req.target;
    const desc = await this.describe(ref);
    const kind = sopKind(desc['00080016']?.Value?.[0] as string | undefined);
    if (kind === 'pdf' && frame === undefined) return this.producePdf(req, signal);
    if (kind !== 'image') {
      const supported = kind === 'pdf' ? [PDF_TYPE] : [];
      throw new NotRenderableError(`${describeTarget(req.target)} is ${SOP_KIND_LABEL[kind]}; it has no rendered image representation${kind === 'pdf' ? ' (it is available as application/pdf at the instance level)' : ''}.`, supported);
    }
    if (!req.imageType) throw new NotRenderableError(`${describeTarget(req.target)} is an image; it is not available as application/pdf.`, ['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
    const frames = framesOf(desc);
    if (frame !== undefined && frame > frames) throw frameOutOfRange(frame, frames);
    const data = await this.stored.get(ref, signal);
    const decoded = await renderFrameInGateway(data, frame ?? 1, req.params.window);
    const overlay = await this.overlayFor(req);
    const body = await finishRaw(decoded.raw, { imageType: req.imageType, quality: req.params.quality, viewport: req.params.viewport, grayscale: decoded.grayscale, overlay });
    this.log.debug({ instance: ref.instance, frame }, 'rendered in the gateway');
    return { body, mediaType: req.imageType, renderer: 'gateway' };
  }

  private async producePdf(req: RenderRequest, signal: AbortSignal): Promise<Rendering> {
    if (!req.acceptPdf) throw pdfNotAccepted(req.target);
    const data = await this.stored.get(req.target.ref, signal);
    return { body: Buffer.from(await extractPdf(data)), mediaType: PDF_TYPE, renderer: 'gateway' };
  }
}
