/**
 * Writing rendered answers: one image (with ETag / If-None-Match → 304), or
 * multipart/related of images (PS3.18 §8.6.1.2), streamed part by part.
 * Rendered pixels are PHI: `Cache-Control: private` with a short max-age, and
 * `Cross-Origin-Resource-Policy: cross-origin` so viewers served with COEP
 * require-corp (OHIF) may embed them.
 */
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { GatewayError } from '../../../http/errors.js';
import { closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { CACHE_HEADER } from '../../../http/send-answer.js';
import type { RenderedResult } from './rendered-cache.js';

export const RENDERER_HEADER = 'X-Gateway-Renderer';

export interface RenderedPart {
  result: RenderedResult;
  /** The gateway URL of the image's own rendered resource. */
  location: string;
}

/** RFC 9111 §5.5 (obsoleted but what DICOMweb clients read): `299 - "text"`. */
export function setWarnings(ctx: Context, warnings: readonly string[]): void {
  for (const text of new Set(warnings)) ctx.append('Warning', `299 - "${text.replace(/["\\\r\n]/g, ' ')}"`);
}

function setCommonHeaders(ctx: Context, maxAgeSeconds: number, warnings: readonly string[]): void {
  ctx.set('Cache-Control', `private, max-age=${maxAgeSeconds}`);
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  ctx.vary('Accept');
  setWarnings(ctx, warnings);
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function sendRenderedImage(ctx: Context, result: RenderedResult, maxAgeSeconds: number, warnings: readonly string[]): void {
  setCommonHeaders(ctx, maxAgeSeconds, warnings);
  ctx.set(CACHE_HEADER, result.outcome);
  ctx.set(RENDERER_HEADER, result.meta.renderer);
  ctx.set('ETag', result.meta.etag);
  const inm = ctx.get('if-none-match');
  if (inm && etagMatches(inm, result.meta.etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.status = 200;
  ctx.type = result.meta.mediaType;
  ctx.body = result.body;
}

function partBytes(boundary: string, part: RenderedPart, first: boolean): Buffer[] {
  const headers = { 'Content-Type': part.result.meta.mediaType, 'Content-Location': part.location, 'Content-Length': String(part.result.body.length) };
  return [partHeader(boundary, headers, first), part.result.body];
}

/** Writes with backpressure; rejects when the stream closes first (client gone). */
function write(out: PassThrough, chunk: Buffer): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error('response stream closed'));
  if (out.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      out.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      out.off('drain', onDrain);
      reject(new Error('response stream closed'));
    };
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

export interface MultipartOptions {
  imageType: string;
  maxAgeSeconds: number;
  warnings: readonly string[];
  signal: AbortSignal;
  log: Logger;
}

/** A 4xx for one image (not renderable, not found) skips it; anything else fails the whole answer. */
const skippable = (err: unknown) => err instanceof GatewayError && err.status >= 400 && err.status < 500;

async function firstRenderable(parts: Array<() => Promise<RenderedPart>>): Promise<{ first: RenderedPart; rest: Array<() => Promise<RenderedPart>> }> {
  let lastError: unknown;
  for (let i = 0; i < parts.length; i++) {
    try {
      return { first: await parts[i]!(), rest: parts.slice(i + 1) };
    } catch (err) {
      if (!skippable(err)) throw err;
      lastError = err;
    }
  }
  throw lastError ?? new Error('no parts to render');
}

/**
 * Renders the first image before answering (so an early failure is a proper
 * error response), then streams the others, one rendering ahead of the socket.
 * A failure after the headers went out resets the connection: never a silently
 * truncated multipart body.
 */
export async function sendRenderedMultipart(ctx: Context, parts: Array<() => Promise<RenderedPart>>, options: MultipartOptions): Promise<void> {
  const { first, rest } = await firstRenderable(parts);
  const boundary = newBoundary();
  setCommonHeaders(ctx, options.maxAgeSeconds, options.warnings);
  ctx.set(CACHE_HEADER, first.result.outcome);
  ctx.status = 200;
  ctx.type = `multipart/related; type="${options.imageType}"; boundary=${boundary}`;
  const out = new PassThrough();
  ctx.body = out;
  void (async () => {
    for (const chunk of partBytes(boundary, first, true)) await write(out, chunk);
    let next = rest[0]?.();
    for (let i = 0; next && !options.signal.aborted; i++) {
      const current = next;
      next = rest[i + 1]?.();
      next?.catch(() => undefined);
      const part = await current.catch((err: unknown) => (skippable(err) ? undefined : Promise.reject(err)));
      if (part) for (const chunk of partBytes(boundary, part, false)) await write(out, chunk);
    }
    if (options.signal.aborted) out.destroy();
    else out.end(closingDelimiter(boundary));
  })().catch((err: unknown) => {
    if (!options.signal.aborted) options.log.warn({ err: (err as Error).message, route: ctx.path }, 'rendered multipart failed mid-stream; resetting client connection');
    out.destroy();
    ctx.req.socket.destroy();
  });
}
