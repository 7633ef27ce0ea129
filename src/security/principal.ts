/**
 * Who is calling: the result of authentication, read by authorization, the
 * audit trail and STOW-RS (`ctx.state.principal`). Plain data, no methods.
 */
import type { Role } from './config.js';

export type { Role } from './config.js';

/** What a principal may see; each dimension absent = unrestricted, present (even empty) = only these. */
export interface Restriction {
  /** PatientID (0010,0020) values or `*`/`?` patterns. */
  patientIds?: readonly string[];
  /** IssuerOfPatientID (0010,0021) values or patterns. */
  issuers?: readonly string[];
  /** Study Instance UIDs. */
  studies?: readonly string[];
}

export type PrincipalKind = 'token' | 'apiKey' | 'anonymous';

export interface Principal {
  /** Token subject (`sub`), API key id, or "anonymous": the audit trail's user id. */
  id: string;
  kind: PrincipalKind;
  /** Human-readable name for the audit trail (token's preferred_username, say). */
  name?: string;
  /** Token issuer, for the audit trail (user ids are only unique per issuer). */
  issuer?: string;
  /** OAuth client the token was issued to (azp / appid), when the token says. */
  clientId?: string;
  roles: ReadonlySet<Role>;
  /** undefined = may see every patient and study. */
  restriction?: Restriction;
  /** STOW-RS validation policy (stow.policies[].name) named by an API key. */
  stowPolicy?: string;
  /** Own rate limit (API keys may have one). */
  rateLimit?: { requestsPerSecond: number; burst: number };
}

export function anonymousPrincipal(roles: readonly Role[]): Principal {
  return { id: 'anonymous', kind: 'anonymous', roles: new Set(roles) };
}

export function isRestricted(principal: Principal): boolean {
  return principal.restriction !== undefined;
}
