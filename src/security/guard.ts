/**
 * Authentication, rate limiting and role checks for every request that is
 * not a probe or a CORS preflight. Sets `ctx.state.principal` (who),
 * `ctx.state.access` (per-request access decisions, see access.ts) and, for
 * API keys that name one, `ctx.state.stowPolicy` (read by STOW-RS).
 */
import type { Context, Next } from 'koa';
import type { SecurityConfig } from './config.js';
import { RequestAccess } from './access.js';
import type { AuditFacts } from './audit/facts.js';
import type { Authenticator } from './authn.js';
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from './errors.js';
import { hasRole, requiredRole } from './policy.js';
import type { Principal } from './principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { RouteKind } from './route-kind.js';
import type { StudyPatients } from './study-patients.js';

export interface GuardDeps {
  config: SecurityConfig;
  authenticator: Authenticator;
  limiter?: RateLimiter;
  studies: StudyPatients;
}

function rateKey(ctx: Context, principal?: Principal): string {
  return principal && principal.kind !== 'anonymous' ? `${principal.kind}:${principal.id}` : `ip:${ctx.ip}`;
}

function limit(deps: GuardDeps, ctx: Context, principal?: Principal): void {
  const wait = deps.limiter?.take(rateKey(ctx, principal), principal?.rateLimit);
  if (wait) throw new TooManyRequestsError(wait);
}

async function authenticate(deps: GuardDeps, ctx: Context): Promise<Principal> {
  try {
    return await deps.authenticator.authenticate(ctx);
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      // Failed attempts count against the client address, so guessing keys is throttled too.
      limit(deps, ctx);
      for (const challenge of deps.authenticator.challenges(err)) ctx.append('WWW-Authenticate', challenge);
    }
    throw err;
  }
}

function checkRole(deps: GuardDeps, ctx: Context, principal: Principal, kind: RouteKind): void {
  const role = requiredRole(kind);
  if (!role || hasRole(principal, role)) return;
  if (principal.kind === 'token') ctx.set('WWW-Authenticate', `Bearer realm="dicomweb-gateway", error="insufficient_scope", scope="${deps.config.oidc?.roleMapping[role][0] ?? role}"`);
  const what = role === 'read' ? 'search and retrieve (QIDO-RS, WADO-RS)' : role === 'write' ? 'store (STOW-RS)' : 'use the operations endpoints';
  throw new ForbiddenError('INSUFFICIENT_SCOPE', `${principal.kind === 'anonymous' ? 'Anonymous clients' : `"${principal.id}"`} may not ${what}: the "${role}" role is required.`, role);
}

export function guardMiddleware(deps: GuardDeps) {
  return async function guard(ctx: Context, next: Next): Promise<void> {
    const kind = ctx.state.routeKind as RouteKind;
    if (kind === 'probe' || kind === 'preflight') return next();
    const principal = await authenticate(deps, ctx);
    ctx.state.principal = principal;
    if (principal.stowPolicy) ctx.state.stowPolicy = principal.stowPolicy;
    limit(deps, ctx, principal);
    checkRole(deps, ctx, principal, kind);
    ctx.state.access = new RequestAccess(principal, deps.studies, ctx.state.auditFacts as AuditFacts | undefined, deps.config.audit.resolvePatients);
    await next();
  };
}
