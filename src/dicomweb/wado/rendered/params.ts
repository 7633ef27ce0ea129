/**
 * Rendering query parameters, PS3.18 §8.3.5 (Table 8.3.5-1): quality,
 * viewport, window, annotation, iccprofile; and `accept` (§8.3.3.1).
 * Parsed strictly: a malformed value is a 400 naming the parameter. Unknown
 * parameters are ignored (§8.3.5.1 lets origin servers ignore them).
 * The parsed form is normalized so that equal requests share one cache key.
 */
import { BadRequestError } from '../../../http/errors.js';

export type WindowFunction = 'linear' | 'linear-exact' | 'sigmoid';
export type AnnotationKeyword = 'patient' | 'technique';

/** Source image region in pixels of the source image; a negative size flips that axis. */
export interface SourceRegion {
  sx: number;
  sy: number;
  sw: number;
  sh: number;
}

/** §8.3.5.1.3: the output is exactly vw × vh; the region is scaled to fit, aspect kept, black bars. */
export interface Viewport {
  vw: number;
  vh: number;
  region?: SourceRegion;
}

/** §8.3.5.1.4 (VOI LUT Function, PS3.3 C.11.2.1.3). */
export interface WindowParam {
  center: number;
  width: number;
  fn: WindowFunction;
}

export interface RenderParams {
  /** 1–100; undefined = the gateway default for the media type. */
  quality?: number;
  viewport?: Viewport;
  window?: WindowParam;
  annotation: AnnotationKeyword[];
}

export interface ParsedRenderQuery {
  params: RenderParams;
  /** The `accept` query parameter, which replaces the Accept header (§8.3.3.1). */
  accept?: string;
  /** Texts for `Warning: 299` headers (parameters accepted but not applied). */
  warnings: string[];
}

/** Larger outputs are refused: a 16k × 16k PNG is a denial of service, not a picture. */
export const MAX_VIEWPORT_EDGE = 4096;

const RENDER_KEYS = ['quality', 'viewport', 'window', 'annotation', 'iccprofile', 'accept'] as const;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const UNSIGNED = /^\d{1,9}$/;
const ICC_PROFILES = new Set(['no', 'yes', 'srgb', 'adobergb', 'rommrgb']);

function bad(parameter: string, detail: string): BadRequestError {
  return new BadRequestError('INVALID_RENDER_PARAMETER', `Query parameter "${parameter}": ${detail} (PS3.18 §8.3.5).`, { parameter });
}

function decimal(text: string, parameter: string, what: string): number {
  if (!DECIMAL.test(text.trim())) throw bad(parameter, `${what} "${text.slice(0, 40)}" is not a decimal number`);
  return Number(text.trim());
}

export function parseQuality(raw: string): number {
  if (!UNSIGNED.test(raw) || Number(raw) < 1 || Number(raw) > 100) throw bad('quality', `expected an integer from 1 to 100, got "${raw.slice(0, 40)}"`);
  return Number(raw);
}

function viewportEdge(text: string, name: string): number {
  if (!UNSIGNED.test(text.trim()) || Number(text) < 1) throw bad('viewport', `${name} must be a positive integer, got "${text.slice(0, 40)}"`);
  const n = Number(text);
  if (n > MAX_VIEWPORT_EDGE) throw bad('viewport', `${name} ${n} exceeds the largest rendered edge this gateway produces (${MAX_VIEWPORT_EDGE})`);
  return n;
}

/** `viewport=vw,vh` or `viewport=vw,vh,sx,sy,sw,sh` (§8.3.5.1.3). */
export function parseViewport(raw: string): Viewport {
  const parts = raw.split(',');
  if (parts.length !== 2 && parts.length !== 6) throw bad('viewport', `expected "vw,vh" or "vw,vh,sx,sy,sw,sh", got ${parts.length} values`);
  const [vw = '', vh = '', sx, sy, sw, sh] = parts;
  const viewport: Viewport = { vw: viewportEdge(vw, 'vw'), vh: viewportEdge(vh, 'vh') };
  if (sx === undefined || sy === undefined || sw === undefined || sh === undefined) return viewport;
  const region = { sx: decimal(sx, 'viewport', 'sx'), sy: decimal(sy, 'viewport', 'sy'), sw: decimal(sw, 'viewport', 'sw'), sh: decimal(sh, 'viewport', 'sh') };
  if (region.sx < 0 || region.sy < 0) throw bad('viewport', 'sx and sy (top-left corner of the source region) must not be negative');
  if (region.sw === 0 || region.sh === 0) throw bad('viewport', 'sw and sh (source region size) must not be zero');
  return { ...viewport, region };
}

/** `window=center,width,function`; the function defaults to linear (§8.3.5.1.4). */
export function parseWindow(raw: string): WindowParam {
  const parts = raw.split(',');
  if (parts.length !== 2 && parts.length !== 3) throw bad('window', `expected "center,width,function", got ${parts.length} values`);
  const center = decimal(parts[0] ?? '', 'window', 'center');
  const width = decimal(parts[1] ?? '', 'window', 'width');
  const fn = (parts[2] ?? 'linear').trim().toLowerCase();
  if (fn !== 'linear' && fn !== 'linear-exact' && fn !== 'sigmoid') throw bad('window', `function "${fn.slice(0, 40)}" is not one of linear, linear-exact, sigmoid`);
  // PS3.3 C.11.2.1.2.1: LINEAR needs a width of at least 1; the others any positive width.
  if (fn === 'linear' ? width < 1 : width <= 0) throw bad('window', `width ${width} is too small for the ${fn} function`);
  return { center, width, fn };
}

export function parseAnnotation(raw: string): AnnotationKeyword[] {
  const keywords = new Set<AnnotationKeyword>();
  for (const part of raw.split(',')) {
    const keyword = part.trim().toLowerCase();
    if (keyword !== 'patient' && keyword !== 'technique') throw bad('annotation', `"${keyword.slice(0, 40)}" is not one of patient, technique`);
    keywords.add(keyword);
  }
  return [...keywords].sort();
}

function singleValues(querystring: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(querystring)) {
    const name = key.toLowerCase();
    if (!(RENDER_KEYS as readonly string[]).includes(name)) continue;
    if (values.has(name)) throw bad(name, 'given more than once');
    values.set(name, value);
  }
  return values;
}

function iccWarning(raw: string): string | undefined {
  const profile = raw.trim().toLowerCase();
  if (!ICC_PROFILES.has(profile)) throw bad('iccprofile', `"${raw.slice(0, 40)}" is not one of no, yes, srgb, adobergb, rommrgb`);
  return profile === 'no' ? undefined : `iccprofile=${profile} is not supported; images are rendered without an ICC profile`;
}

export function parseRenderQuery(querystring: string): ParsedRenderQuery {
  const values = singleValues(querystring);
  const params: RenderParams = { annotation: [] };
  const warnings: string[] = [];
  const quality = values.get('quality');
  if (quality !== undefined) params.quality = parseQuality(quality);
  const viewport = values.get('viewport');
  if (viewport !== undefined) params.viewport = parseViewport(viewport);
  const window = values.get('window');
  if (window !== undefined) params.window = parseWindow(window);
  const annotation = values.get('annotation');
  if (annotation !== undefined) params.annotation = parseAnnotation(annotation);
  const icc = values.get('iccprofile');
  const iccText = icc === undefined ? undefined : iccWarning(icc);
  if (iccText) warnings.push(iccText);
  const accept = values.get('accept');
  return { params, warnings, ...(accept ? { accept } : {}) };
}

/**
 * Thumbnails (§10.4.1.1.4) take viewport and quality only; they never carry
 * patient information (§10.4.3.3.4), so annotation is dropped with a warning.
 */
export function thumbnailParams(parsed: ParsedRenderQuery, defaultEdge: number): ParsedRenderQuery {
  const { quality, viewport, window, annotation } = parsed.params;
  const warnings = [...parsed.warnings];
  if (window) warnings.push('window is not applied to thumbnails');
  if (annotation.length > 0) warnings.push('annotation is not applied to thumbnails (they carry no patient information, PS3.18 §10.4.3.3.4)');
  const params: RenderParams = { annotation: [], viewport: viewport ?? { vw: defaultEdge, vh: defaultEdge } };
  if (quality !== undefined) params.quality = quality;
  return { ...parsed, params, warnings };
}

const num = (n: number): string => String(Number(n.toFixed(4)));

export function viewportText(v: Viewport): string {
  const base = `${v.vw},${v.vh}`;
  return v.region ? `${base},${[v.region.sx, v.region.sy, v.region.sw, v.region.sh].map(num).join(',')}` : base;
}

export function windowText(w: WindowParam): string {
  return `${num(w.center)},${num(w.width)},${w.fn}`;
}

/** Canonical text of the parameters that change the pixels, for cache keys. */
export function canonicalParams(p: RenderParams): string {
  const parts: string[] = [];
  if (p.quality !== undefined) parts.push(`q=${p.quality}`);
  if (p.viewport) parts.push(`vp=${viewportText(p.viewport)}`);
  if (p.window) parts.push(`w=${windowText(p.window)}`);
  if (p.annotation.length > 0) parts.push(`a=${p.annotation.join(',')}`);
  return parts.join('&');
}

/** Most frames one rendered frame-list request may name. */
export const MAX_FRAME_LIST = 1000;

/** `{frames}` of §10.4.1.1.3: a comma-separated list of distinct frame numbers from 1. */
export function parseFrameList(raw: string): number[] {
  const parts = raw.split(',');
  if (parts.length > MAX_FRAME_LIST) throw new BadRequestError('INVALID_FRAME_LIST', `The frame list names ${parts.length} frames; at most ${MAX_FRAME_LIST} can be rendered in one request.`, { parameter: 'frames' });
  const frames: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,9}$/.test(part) || Number(part) < 1) {
      throw new BadRequestError('INVALID_FRAME_LIST', `Frame number "${part.slice(0, 40)}" in the path is not a positive integer (frames are numbered from 1).`, { parameter: 'frames' });
    }
    if (frames.includes(Number(part))) throw new BadRequestError('INVALID_FRAME_LIST', `Frame ${part} is listed twice in the path.`, { parameter: 'frames' });
    frames.push(Number(part));
  }
  return frames;
}
