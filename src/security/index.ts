/**
 * The security layer as app.ts installs it: middleware in order (headers and
 * CORS → audit → edge hardening → authentication, rate limit, roles), the
 * admin audit route, and what must be released on close.
 *
 *   app.use(errorMiddleware)  ← errors of every stage become problem+json
 *   securityHeaders           ← also on error answers; answers CORS preflights
 *   audit                     ← sees every outcome below it, writes one event
 *   hardenRequest             ← sizes, path and query shape
 *   guard                     ← ctx.state.principal / access / stowPolicy
 */
import type { Middleware } from 'koa';
import type Router from '@koa/router';
import type { GatewayServices } from '../services.js';
import { auditMiddleware } from './audit/middleware.js';
import { auditRouter } from './audit/routes.js';
import { AuditTrail } from './audit/trail.js';
import { Authenticator } from './authn.js';
import { edgeChecks } from './edge.js';
import { guardMiddleware } from './guard.js';
import { securityHeaders } from './headers.js';
import { RateLimiter } from './rate-limit.js';
import { anonymousAllowed, securityStartupProblems } from './startup.js';
import { StudyPatients } from './study-patients.js';

export interface Security {
  middleware: Middleware[];
  adminRouter: Router;
  trail: AuditTrail;
  /** What weakens security in this configuration (logged and audited at start). */
  warnings: string[];
  close(): Promise<void>;
}

export function createSecurity(services: GatewayServices): Security {
  const { config, logger, upstream } = services;
  const { security } = config;
  const problems = securityStartupProblems(config);
  if (problems.errors.length > 0) throw new Error(problems.errors.join('\n'));
  for (const warning of problems.warnings) logger.warn({ security: true }, warning);
  const trail = new AuditTrail(security.audit, logger);
  void trail.recordStart(problems.warnings);
  const authenticator = new Authenticator(security, anonymousAllowed(config));
  const studies = new StudyPatients(upstream, security.studyLookupTtlMs);
  const limiter = security.rateLimit.enabled ? new RateLimiter(security.rateLimit) : undefined;
  services.statusSources.audit = () => ({ enabled: trail.enabled, healthy: trail.healthy, written: trail.written, failures: trail.failures, failClosed: security.audit.failClosed });
  return {
    middleware: [
      securityHeaders(security, config.server.basePath),
      auditMiddleware(trail),
      edgeChecks(security, config.qido.ignoredParameters),
      guardMiddleware({ config: security, authenticator, studies, ...(limiter && { limiter }) }),
    ],
    adminRouter: auditRouter(trail),
    trail,
    warnings: problems.warnings,
    close: () => trail.close(),
  };
}

export { assertMayStore, authorizeStudyParam, filterSearchAnswer } from './hooks.js';
export { securityStartupProblems } from './startup.js';
export { createListener, upstreamConnectOptions } from './tls.js';
export type { Principal } from './principal.js';
