/**
 * Response headers every answer gets (also error answers: they are set before
 * the handlers run), and CORS for web viewers on other origins (Fetch
 * standard §3.2): only configured origins get Access-Control-* headers; a
 * preflight from any other origin is refused with 403. Rendered, frame, bulk
 * and retrieve answers carry the configured Cross-Origin-Resource-Policy
 * (OHIF runs with COEP require-corp and loads images cross-origin); the rest
 * is same-origin.
 */
import type { Context, Next } from 'koa';
import { GatewayError } from '../http/errors.js';
import type { SecurityConfig } from './config.js';
import { classifyRequest, isEmbeddable, type RouteKind } from './route-kind.js';

const ALLOWED_REQUEST_HEADERS = ['authorization', 'accept', 'content-type', 'x-api-key', 'x-request-id', 'traceparent', 'tracestate', 'if-none-match', 'if-modified-since', 'range', 'x-dry-run', 'cache-control'];
const EXPOSED_HEADERS = 'Content-Location, Content-Range, Accept-Ranges, ETag, Warning, Retry-After, WWW-Authenticate, X-Request-Id, X-Gateway-Cache';
const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';

function setStaticHeaders(ctx: Context, kind: RouteKind, corp: string): void {
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Frame-Options', 'DENY');
  // Rendered answers may be PDFs a browser shows with its own viewer; everything else is data, never a page.
  if (kind !== 'rendered') ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  ctx.set('Cross-Origin-Resource-Policy', isEmbeddable(kind) ? corp : 'same-origin');
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
}

export function securityHeaders(config: SecurityConfig, basePath: string) {
  const { allowedOrigins, allowCredentials, maxAgeSeconds } = config.cors;
  const anyOrigin = allowedOrigins.includes('*');
  const origins = new Set(allowedOrigins);

  function allowOrigin(ctx: Context, origin: string): boolean {
    if (!anyOrigin && !origins.has(origin)) return false;
    ctx.set('Access-Control-Allow-Origin', anyOrigin && !allowCredentials ? '*' : origin);
    if (allowCredentials) ctx.set('Access-Control-Allow-Credentials', 'true');
    return true;
  }

  function answerPreflight(ctx: Context, origin: string): void {
    if (!allowOrigin(ctx, origin)) {
      throw new GatewayError(403, 'CORS_ORIGIN_NOT_ALLOWED', 'Forbidden', `Origin ${origin.slice(0, 100)} is not allowed to call this gateway (security.cors.allowedOrigins).`);
    }
    const requested = ctx.get('access-control-request-headers').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    const headers = requested.filter((h) => ALLOWED_REQUEST_HEADERS.includes(h));
    ctx.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
    if (headers.length > 0) ctx.set('Access-Control-Allow-Headers', headers.join(', '));
    ctx.set('Access-Control-Max-Age', String(maxAgeSeconds));
    ctx.status = 204;
  }

  return async function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    const kind = classifyRequest(ctx.method, ctx.path, basePath);
    ctx.state.routeKind = kind;
    setStaticHeaders(ctx, kind, config.crossOriginResourcePolicy);
    const origin = ctx.get('origin');
    if (origin) ctx.vary('Origin');
    if (kind === 'preflight' && origin && ctx.get('access-control-request-method')) return answerPreflight(ctx, origin);
    if (origin && allowOrigin(ctx, origin)) ctx.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    await next();
  };
}
