/**
 * From a verified token's claims to a Principal: roles from scope/role claims
 * (Keycloak: `scope`, `realm_access.roles`, `resource_access.<client>.roles`;
 * Entra ID: `scp`, `roles`), restrictions from configured claims.
 */
import type { JWTPayload } from 'jose';
import type { OidcConfig, Role } from './config.js';
import { ROLES } from './config.js';
import type { Principal, Restriction } from './principal.js';

/** The value at a dotted path ("realm_access.roles"); a key containing dots may also be given whole. */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Space-separated strings (OAuth `scope`) or arrays of strings; anything else gives nothing. */
export function claimStrings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/\s+/).filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
}

export function rolesOf(payload: JWTPayload, config: OidcConfig): Set<Role> {
  const names = new Set(config.claims.roles.flatMap((path) => claimStrings(claimAt(payload, path)) ?? []));
  return new Set(ROLES.filter((role) => config.roleMapping[role].some((name) => names.has(name))));
}

function listClaim(payload: JWTPayload, path: string | null): string[] | undefined {
  if (path === null) return undefined;
  const value = claimAt(payload, path);
  if (value === undefined || value === null) return undefined;
  // A single string is one value here (a PatientID may contain spaces), not a space-separated list.
  if (typeof value === 'string') return [value];
  return claimStrings(value) ?? [];
}

export function restrictionOf(payload: JWTPayload, config: OidcConfig): Restriction | undefined {
  const patientIds = listClaim(payload, config.claims.patientIds);
  const issuers = listClaim(payload, config.claims.issuers);
  const studies = listClaim(payload, config.claims.studies);
  if (patientIds === undefined && issuers === undefined && studies === undefined) {
    return config.requireRestriction ? { studies: [] } : undefined;
  }
  return { ...(patientIds && { patientIds }), ...(issuers && { issuers }), ...(studies && { studies }) };
}

export function principalOfToken(payload: JWTPayload, config: OidcConfig): Principal {
  const name = claimAt(payload, config.claims.userName);
  const clientId = payload.azp ?? payload.appid ?? payload.client_id;
  const restriction = restrictionOf(payload, config);
  return {
    id: String(payload.sub),
    kind: 'token',
    ...(typeof name === 'string' && { name }),
    ...(payload.iss && { issuer: payload.iss }),
    ...(typeof clientId === 'string' && { clientId }),
    roles: rolesOf(payload, config),
    ...(restriction && { restriction }),
  };
}
