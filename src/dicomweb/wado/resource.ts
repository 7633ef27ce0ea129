/**
 * The study / series / instance a WADO-RS request addresses, from validated
 * path parameters, and its path under a DICOMweb root (identical upstream and
 * on the gateway).
 */
import type { Context } from 'koa';

export interface WadoResource {
  study: string;
  series?: string;
  instance?: string;
}

export function resourceOf(ctx: Context): WadoResource {
  const { study, series, instance } = ctx.params as Record<string, string | undefined>;
  return { study: study!, series, instance };
}

export function resourcePath(r: WadoResource): string {
  let path = `/studies/${r.study}`;
  if (r.series) path += `/series/${r.series}`;
  if (r.instance) path += `/instances/${r.instance}`;
  return path;
}

export function describe(r: WadoResource): string {
  if (r.instance) return `instance ${r.instance} of series ${r.series} in study ${r.study}`;
  if (r.series) return `series ${r.series} of study ${r.study}`;
  return `study ${r.study}`;
}

/** Aborts when the client goes away, so the upstream request is cancelled at once. */
export function clientAbortSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * The metadata cache key of a resource's WADO-RS metadata (per public base URL,
 * since BulkDataURIs are absolute): the metadata handler and the prefetch's
 * cache warming (src/prefetch/warm-caches.ts) both use it.
 */
export function metadataCacheKey(baseUrl: string, resource: WadoResource): string {
  return JSON.stringify(['metadata', baseUrl, resourcePath(resource)]);
}
