/**
 * The last steps of the rendering pipeline (PS3.18 §8.3.5.1: source region,
 * then viewport, then annotations, "burned in" last), and encoding into the
 * negotiated Rendered Media Type with sharp. JPEG is baseline (§8.7.4), 8 bits.
 */
import sharp, { type Sharp } from 'sharp';
import { BadRequestError } from '../../../http/errors.js';
import type { RenderedImageType } from './negotiate.js';
import type { SourceRegion, Viewport } from './params.js';

/** Orthanc's default too, so gateway- and upstream-rendered JPEGs look alike. */
export const DEFAULT_QUALITY = 90;

const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

export interface RawImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export interface FinishOptions {
  imageType: RenderedImageType;
  quality?: number;
  /** Region and viewport still to apply (gateway-rendered pixels only). */
  viewport?: Viewport;
  grayscale?: boolean;
  /** Builds the annotation overlay (an SVG) for the final size. */
  overlay?: (width: number, height: number) => Buffer | undefined;
}

function regionBox(region: SourceRegion, width: number, height: number) {
  const left = Math.floor(region.sx);
  const top = Math.floor(region.sy);
  if (left >= width || top >= height) {
    throw new BadRequestError('INVALID_RENDER_PARAMETER', `Query parameter "viewport": the source region starts at (${region.sx}, ${region.sy}), outside the ${width}×${height} image (PS3.18 §8.3.5.1.3).`, { parameter: 'viewport' });
  }
  return {
    left,
    top,
    width: Math.max(1, Math.min(Math.round(Math.abs(region.sw)), width - left)),
    height: Math.max(1, Math.min(Math.round(Math.abs(region.sh)), height - top)),
  };
}

/** Applies region (with flips for negative sizes) and viewport; returns the output size. */
function applyGeometry(image: Sharp, viewport: Viewport | undefined, width: number, height: number): { width: number; height: number } {
  if (!viewport) return { width, height };
  let size = { width, height };
  if (viewport.region) {
    const box = regionBox(viewport.region, width, height);
    image.extract(box);
    if (viewport.region.sw < 0) image.flop();
    if (viewport.region.sh < 0) image.flip();
    size = { width: box.width, height: box.height };
  }
  if (size.width !== viewport.vw || size.height !== viewport.vh) {
    image.resize(viewport.vw, viewport.vh, { fit: 'contain', background: BLACK });
  }
  return { width: viewport.vw, height: viewport.vh };
}

function encode(image: Sharp, imageType: RenderedImageType, quality: number): Promise<Buffer> {
  switch (imageType) {
    case 'image/jpeg':
      return image.jpeg({ quality, progressive: false, chromaSubsampling: '4:4:4' }).toBuffer();
    case 'image/png':
      return image.png({ compressionLevel: 6 }).toBuffer();
    case 'image/webp':
      return image.webp({ quality }).toBuffer();
    case 'image/gif':
      return image.gif().toBuffer();
  }
}

async function finish(image: Sharp, width: number, height: number, options: FinishOptions): Promise<Buffer> {
  const size = applyGeometry(image, options.viewport, width, height);
  const svg = options.overlay?.(size.width, size.height);
  let out = image;
  if (svg) {
    // Composite runs after resize inside one sharp pipeline, but a flip must not mirror the text:
    // materialize the geometry first, then burn the annotation in.
    out = sharp(await image.png({ compressionLevel: 0 }).toBuffer()).composite([{ input: svg, top: 0, left: 0 }]);
  }
  if (options.grayscale) out = out.toColourspace('b-w');
  return encode(out.removeAlpha(), options.imageType, options.quality ?? DEFAULT_QUALITY);
}

/** Pixels rendered in the gateway (RGBA from dcmjs-imaging) → final image. */
export function finishRaw(raw: RawImage, options: FinishOptions): Promise<Buffer> {
  const image = sharp(raw.pixels, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  return finish(image, raw.width, raw.height, options);
}

/** An image the upstream rendered (PNG, geometry already applied) → final image. */
export async function finishEncoded(body: Buffer, options: FinishOptions): Promise<Buffer> {
  const image = sharp(body);
  const { width = 1, height = 1 } = await image.metadata();
  return finish(image, width, height, options);
}
