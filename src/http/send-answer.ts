/**
 * Writes a cached answer with HTTP validators: ETag, `Cache-Control: private,
 * no-cache` (PHI: no shared caches; clients revalidate so new instances show at
 * once), 304 on a matching If-None-Match, and the cache outcome for operators.
 */
import type { Context } from 'koa';
import type { CachedAnswer, CacheOutcome } from '../cache/metadata-cache.js';

export const CACHE_HEADER = 'X-Gateway-Cache';

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function sendCachedAnswer(ctx: Context, answer: CachedAnswer, outcome: CacheOutcome, mediaType: string): void {
  ctx.set(CACHE_HEADER, outcome);
  ctx.set('Cache-Control', 'private, no-cache');
  ctx.vary('Accept');
  for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
  if (outcome === 'STALE-IF-ERROR') {
    // RFC 7234 §5.5.1/§5.5.2 warn codes: what a viewer gets while the archive is down is marked as such.
    ctx.append('Warning', '110 dicomweb-gateway "Response is Stale"');
    ctx.append('Warning', '111 dicomweb-gateway "Revalidation Failed: the image archive is unreachable"');
  }
  if (answer.status === 204) {
    ctx.status = 204;
    ctx.body = null;
    return;
  }
  ctx.set('ETag', answer.etag);
  const inm = ctx.get('if-none-match');
  if (inm && etagMatches(inm, answer.etag)) {
    ctx.status = 304;
    ctx.body = null;
    return;
  }
  ctx.status = answer.status;
  ctx.type = mediaType;
  ctx.vary('Accept-Encoding');
  if (answer.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = answer.gzip;
  } else {
    ctx.body = answer.body;
  }
}
