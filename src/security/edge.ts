/**
 * Request hardening before anything is routed: size limits on the request
 * target, headers and bodies, and a strict shape for paths and queries.
 * DICOMweb paths (PS3.18 §10) are made of UIDs, tags, frame numbers and
 * keywords, so each segment, percent-decoded once, must be made of
 * [A-Za-z0-9._,~-]: %2F, %5C, %00, double encoding (%252F), backslashes, empty,
 * "." and ".." segments are refused with 400 before a router or the upstream
 * sees them (a %2C in a frame list, which some clients send, passes).
 * Query parameters of WADO-RS and STOW-RS routes come from an allowlist; QIDO-RS
 * validates its own (unknown attributes are a 400 there).
 */
import type { Context, Next } from 'koa';
import type { SecurityConfig } from './config.js';
import { RequestLimitError } from './errors.js';
import type { AuditFacts } from './audit/facts.js';
import type { RouteKind } from './route-kind.js';

const SAFE_SEGMENT = /^[A-Za-z0-9._,~-]+$/;
/** Raw control characters, or percent-encoded ones (%00–%1F, %7F). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]|%(?:[01][0-9A-Fa-f]|7[Ff])/;
const MAX_QUERY_PARAMETERS = 200;
const ALLOWLISTED_KINDS = new Set<RouteKind>(['metadata', 'retrieve', 'rendered', 'frames', 'bulk', 'store']);

/** Query parameters of WADO-RS (Rendered §8.3.5, §10.4.1.1.3) and STOW-RS routes. */
const WADO_STOW_PARAMETERS = ['accept', 'charset', 'annotation', 'quality', 'viewport', 'window', 'iccprofile', 'dryrun'];

const PARAMETER_AFTER: Record<string, string> = { studies: 'study', series: 'series', instances: 'instance', frames: 'frames', bulk: 'bulkdata' };
const UID_NAMES: Record<string, string> = { study: 'Study Instance UID', series: 'Series Instance UID', instance: 'SOP Instance UID' };

export interface PathProblem {
  reason: string;
  /** The path parameter the bad segment stands for (study, series, instance, frames, bulkdata), when known. */
  parameter?: string;
  segment: string;
}

function segmentProblem(raw: string): string | undefined {
  if (raw === '') return 'empty path segment';
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return 'malformed percent-encoding';
  }
  // Decoded once: %2F, %5C, %00 and double encoding (%25…) leave characters outside the safe set.
  if (segment === '.' || segment === '..') return 'dot segment';
  if (!SAFE_SEGMENT.test(segment)) return 'characters outside [A-Za-z0-9._,~-] (slashes, backslashes, controls and double encoding are not used in DICOMweb paths)';
  return undefined;
}

export function pathProblem(path: string): PathProblem | undefined {
  if (!path.startsWith('/')) return { reason: 'the path must start with /', segment: path };
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  let parameter: string | undefined;
  for (const [i, raw] of segments.entries()) {
    // The viewer's pages are directory-style URLs (`/viewer/`): one trailing slash there is fine.
    if (raw === '' && i === segments.length - 1 && segments[0] === 'viewer') continue;
    const previous = segments[i - 1];
    parameter = previous !== undefined ? (PARAMETER_AFTER[previous] ?? (parameter === 'bulkdata' ? 'bulkdata' : undefined)) : undefined;
    const reason = segmentProblem(raw);
    if (reason) return { reason, segment: raw, ...(parameter && { parameter }) };
  }
  return undefined;
}

function pathError(problem: PathProblem): RequestLimitError {
  const uidName = problem.parameter ? UID_NAMES[problem.parameter] : undefined;
  const shown = problem.segment.slice(0, 80);
  if (uidName) return new RequestLimitError(400, 'INVALID_UID', `${uidName} "${shown}" in the path is not a valid UID (digits and dots, at most 64 characters): ${problem.reason}.`, problem.parameter);
  return new RequestLimitError(400, 'INVALID_PATH', `The request path is not a DICOMweb resource path: ${problem.reason} in "${shown}".`, problem.parameter ?? 'path');
}

function parameterNames(querystring: string): string[] {
  return querystring.split('&').filter((p) => p !== '').map((p) => {
    const name = p.split('=', 1)[0] ?? '';
    try {
      return decodeURIComponent(name).toLowerCase();
    } catch {
      return name.toLowerCase();
    }
  });
}

function headerBytes(raw: readonly string[]): number {
  let total = 0;
  for (const part of raw) total += Buffer.byteLength(part) + 2;
  return total;
}

export function edgeChecks(config: SecurityConfig, ignoredParameters: readonly string[]) {
  const allowed = new Set([...WADO_STOW_PARAMETERS, ...ignoredParameters, ...config.limits.extraQueryParameters].map((p) => p.toLowerCase()));
  const { maxUrlBytes, maxHeaderBytes, maxBodyBytes } = config.limits;

  function checkQuery(ctx: Context, kind: RouteKind): void {
    const qs = ctx.querystring;
    if (qs === '') return;
    if (CONTROL.test(qs)) throw new RequestLimitError(400, 'INVALID_QUERY', 'The query string contains control characters (raw or percent-encoded).');
    const names = parameterNames(qs);
    if (names.length > MAX_QUERY_PARAMETERS) throw new RequestLimitError(400, 'TOO_MANY_PARAMETERS', `At most ${MAX_QUERY_PARAMETERS} query parameters are accepted.`);
    if (!ALLOWLISTED_KINDS.has(kind)) return; // QIDO validates its own; admin routes theirs; others answer 404
    const unknown = names.find((n) => !allowed.has(n));
    if (unknown !== undefined) {
      throw new RequestLimitError(400, 'UNKNOWN_PARAMETER', `Query parameter "${unknown.slice(0, 64)}" is not accepted on this resource (accepted: ${[...allowed].join(', ')}).`, unknown.slice(0, 64));
    }
  }

  return async function hardenRequest(ctx: Context, next: Next): Promise<void> {
    const kind = ctx.state.routeKind as RouteKind;
    const facts = ctx.state.auditFacts as AuditFacts | undefined;
    try {
      if (Buffer.byteLength(ctx.url) > maxUrlBytes) throw new RequestLimitError(414, 'URI_TOO_LONG', `The request target is longer than ${maxUrlBytes} bytes.`);
      if (headerBytes(ctx.req.rawHeaders) > maxHeaderBytes) throw new RequestLimitError(431, 'HEADERS_TOO_LARGE', `The request headers are larger than ${maxHeaderBytes} bytes.`);
      const problem = pathProblem(ctx.path);
      if (problem) throw pathError(problem);
      checkQuery(ctx, kind);
      const declared = Number(ctx.get('content-length') || 0);
      if (kind !== 'store' && declared > maxBodyBytes) {
        ctx.set('Connection', 'close');
        throw new RequestLimitError(413, 'BODY_TOO_LARGE', `The request body (${declared} bytes) is larger than ${maxBodyBytes} bytes (security.limits.maxBodyBytes).`);
      }
    } catch (err) {
      facts?.deny(`request refused at the edge: ${(err as RequestLimitError).code}`);
      throw err;
    }
    await next();
  };
}
