/**
 * Viewer support, outside the DICOMweb root:
 * - GET /ohif/app-config.js: an OHIF v3 `window.config` generated from this
 *   gateway's config and capabilities (`?basename=/path` sets OHIF's
 *   routerBasename when OHIF is hosted under a path);
 * - GET /ohif/data-source.json: the same DICOMweb data source as JSON;
 * - GET /viewer/...: an OHIF build installed with scripts/ohif/fetch.sh, served
 *   same-origin with its app-config.js generated as above (404 with a hint when
 *   no build is installed), so "link out to a viewer" works in one deployment.
 */
import { createReadStream } from 'node:fs';
import type { Context, Next } from 'koa';
import { publicBaseUrl } from '../http/base-url.js';
import { BadRequestError, NotFoundError } from '../http/errors.js';
import type { GatewayServices } from '../services.js';
import { contentTypeOf, installedOhifDir, PrefixedBuild, resolveBuildFile } from './ohif-build.js';
import { ohifAppConfig, ohifAppConfigScript, ohifDataSource } from './ohif-config.js';

const VIEWER_PREFIX = '/viewer';
const SAFE_BASENAME = /^\/[A-Za-z0-9._~/-]{0,200}$/;

function routerBasenameOf(ctx: Context): string {
  const value = ctx.query.basename;
  if (value === undefined) return '/';
  if (typeof value !== 'string' || !SAFE_BASENAME.test(value)) {
    throw new BadRequestError('INVALID_PARAMETER', 'The basename parameter must be a URL path such as /ohif (letters, digits, . _ ~ - /).');
  }
  return value;
}

/** Scripts and JSON a page on another origin loads: a <script src> is a no-cors load, so CORP must allow it. */
function sendConfigAnswer(ctx: Context, type: string, body: string): void {
  ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  ctx.set('Cache-Control', 'no-cache');
  ctx.type = type;
  ctx.body = body;
}

async function sendBuildFile(ctx: Context, build: PrefixedBuild, file: string): Promise<void> {
  // The viewer is a page, not data: the gateway's "default-src 'none'" policy would stop its scripts.
  ctx.remove('Content-Security-Policy');
  ctx.type = contentTypeOf(file);
  const hashed = /\.[0-9a-f]{8,}\.(js|css)$|\/[0-9a-f]{16}\.(wasm|woff2)$/.test(file);
  ctx.set('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
  ctx.body = (await build.rewrittenFile(file)) ?? createReadStream(file);
}

export function viewerRoutes(services: GatewayServices) {
  const { config } = services;
  const root = installedOhifDir();
  const build = root ? new PrefixedBuild(root, VIEWER_PREFIX) : null;

  async function handleViewer(ctx: Context, sub: string): Promise<void> {
    if (!build) throw new NotFoundError('No OHIF build is installed: run scripts/ohif/fetch.sh on the gateway host, then restart it.', 'VIEWER_NOT_INSTALLED');
    if (sub === '/app-config.js') return sendConfigAnswer(ctx, 'text/javascript; charset=utf-8', ohifAppConfigScript(ohifAppConfig(config, publicBaseUrl(ctx, config.server), VIEWER_PREFIX)));
    // The link is /viewer: the edge checks refuse the empty segment of /viewer/ (src/security/edge.ts).
    const file = resolveBuildFile(build.root, sub === '' || sub === '/' ? '/index.html' : sub);
    if (file) return sendBuildFile(ctx, build, file);
    // A client-side route of the single-page app (/viewer/viewer?StudyInstanceUIDs=...): its index.html.
    if (!/\.[a-z0-9]+$/i.test(sub)) return sendBuildFile(ctx, build, `${build.root}/index.html`);
    throw new NotFoundError(`No viewer file at ${ctx.path}.`, 'NO_SUCH_RESOURCE');
  }

  return async function viewer(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/ohif/app-config.js') {
      return sendConfigAnswer(ctx, 'text/javascript; charset=utf-8', ohifAppConfigScript(ohifAppConfig(config, publicBaseUrl(ctx, config.server), routerBasenameOf(ctx))));
    }
    if (ctx.path === '/ohif/data-source.json') {
      return sendConfigAnswer(ctx, 'application/json', JSON.stringify(ohifDataSource(config, publicBaseUrl(ctx, config.server))));
    }
    if (ctx.path === VIEWER_PREFIX || ctx.path.startsWith(`${VIEWER_PREFIX}/`)) return handleViewer(ctx, ctx.path.slice(VIEWER_PREFIX.length));
    return next();
  };
}
