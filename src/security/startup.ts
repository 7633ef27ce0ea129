/**
 * Start-time security checks: the gateway refuses to serve PHI without
 * authentication on anything but loopback unless an operator said so
 * explicitly (security.allowAnonymous), and says loudly what weakens security.
 */
import type { GatewayConfig } from '../config/schema.js';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function authenticationConfigured(security: GatewayConfig['security']): boolean {
  return security.oidc !== null || security.apiKeys.length > 0;
}

/** Requests without credentials are served (as anonymous, with security.anonymousRoles). */
export function anonymousAllowed(config: GatewayConfig): boolean {
  if (config.security.allowAnonymous) return true;
  return !authenticationConfigured(config.security) && isLoopbackHost(config.server.host);
}

export interface StartupProblems {
  /** The gateway must not start. */
  errors: string[];
  /** It may start, but an operator must know (logged at warn level and audited as Security Alerts). */
  warnings: string[];
}

export function securityStartupProblems(config: GatewayConfig): StartupProblems {
  const { security, server } = config;
  const errors: string[] = [];
  const warnings: string[] = [];
  const loopback = isLoopbackHost(server.host);
  const auth = authenticationConfigured(security);
  if (!auth && !loopback && !security.allowAnonymous) {
    errors.push(`Refusing to start: the gateway would listen on ${server.host} without authentication. Configure security.oidc or security.apiKeys, listen on loopback (server.host 127.0.0.1), or set security.allowAnonymous (GATEWAY_SECURITY_ALLOW_ANONYMOUS=true) to serve images without authentication on purpose.`);
  }
  if (security.allowAnonymous && security.anonymousRoles.length > 0) {
    warnings.push(`ANONYMOUS ACCESS ENABLED (security.allowAnonymous): requests without credentials are served with roles [${security.anonymousRoles.join(', ')}] on ${server.host}. Medical images are PHI; use this only for an isolated demo.`);
  }
  if (!security.tls && !loopback) {
    warnings.push(`Plain HTTP on ${server.host}: tokens and images cross the network unencrypted unless a TLS-terminating proxy is in front (security.tls).`);
  }
  if (!security.audit.enabled) warnings.push('The audit trail is disabled (security.audit.enabled = false): accesses to PHI are not recorded.');
  if (security.oidc?.allowQueryToken) warnings.push('Access tokens are accepted in URLs (security.oidc.allowQueryToken): they may end up in browser history and proxy logs.');
  return { errors, warnings };
}
