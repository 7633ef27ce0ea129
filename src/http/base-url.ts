/**
 * The gateway's public DICOMweb root as a client sees it, for RetrieveURL and
 * BulkDataURI values: the configured publicUrl, else built from the request.
 * Forwarded / X-Forwarded-* are honoured only when trustProxy is set, and a Host
 * header that is not a plain host[:port] is never echoed into a body.
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../config/schema.js';

const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

function forwardedPair(header: string | undefined, key: string): string | undefined {
  if (!header) return undefined;
  const first = header.split(',')[0] ?? '';
  for (const part of first.split(';')) {
    const [k, v] = part.split('=').map((s) => s?.trim());
    if (k?.toLowerCase() === key && v) return v.replace(/^"|"$/g, '');
  }
  return undefined;
}

export function publicBaseUrl(ctx: Context, server: GatewayConfig['server']): string {
  if (server.publicUrl) return server.publicUrl;
  let proto = ctx.protocol;
  let host = ctx.get('host');
  if (server.trustProxy) {
    const forwarded = ctx.get('forwarded') || undefined;
    proto = forwardedPair(forwarded, 'proto') ?? (ctx.get('x-forwarded-proto').split(',')[0]?.trim() || proto);
    host = forwardedPair(forwarded, 'host') ?? (ctx.get('x-forwarded-host').split(',')[0]?.trim() || host);
  }
  if (proto !== 'http' && proto !== 'https') proto = 'http';
  if (!SAFE_HOST.test(host)) host = `${server.host}:${server.port}`;
  return `${proto}://${host}${server.basePath}`;
}
