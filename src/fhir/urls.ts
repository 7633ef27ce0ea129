/**
 * Public URLs of the gateway's non-DICOMweb resources, derived from the same
 * public DICOMweb root as RetrieveURL (src/http/base-url.ts): the root minus
 * server.basePath is where /fhir and /viewer live, also behind a path prefix.
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../config/schema.js';
import { publicBaseUrl } from '../http/base-url.js';

export function dicomwebRootOf(ctx: Context, config: GatewayConfig): string {
  return publicBaseUrl(ctx, config.server).replace(/\/+$/, '');
}

/** The gateway's public root (no trailing slash). */
export function gatewayRootOf(ctx: Context, config: GatewayConfig): string {
  const root = dicomwebRootOf(ctx, config);
  const base = config.server.basePath.replace(/\/+$/, '');
  return base !== '' && root.endsWith(base) ? root.slice(0, -base.length) : new URL(root).origin;
}

export function fhirBaseOf(ctx: Context, config: GatewayConfig): string {
  return `${gatewayRootOf(ctx, config)}/fhir`;
}
