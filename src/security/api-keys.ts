/**
 * API keys for machine clients (AI pipelines, modalities, scrapers): the config
 * holds only "sha256:<hex>" of each key. Keys are long random strings, so one
 * SHA-256 is enough (no password stretching needed); the presented key is
 * hashed and looked up, and the stored hash compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from './config.js';
import type { Principal, Restriction } from './principal.js';

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new key: "dgw_" + 32 random bytes in base64url (256 bits). */
export function generateApiKey(): string {
  return `dgw_${randomBytes(32).toString('base64url')}`;
}

function restrictionOf(entry: ApiKeyConfig): Restriction | undefined {
  const { patientIds, issuers, studies } = entry;
  if (patientIds === undefined && issuers === undefined && studies === undefined) return undefined;
  return { ...(patientIds && { patientIds }), ...(issuers && { issuers }), ...(studies && { studies }) };
}

export function principalOfKey(entry: ApiKeyConfig): Principal {
  const restriction = restrictionOf(entry);
  return {
    id: entry.id,
    kind: 'apiKey',
    roles: new Set(entry.roles),
    ...(restriction && { restriction }),
    ...(entry.stowPolicy && { stowPolicy: entry.stowPolicy }),
    ...(entry.rateLimit && { rateLimit: entry.rateLimit }),
  };
}

export class ApiKeyStore {
  private readonly byHash = new Map<string, ApiKeyConfig>();

  constructor(entries: readonly ApiKeyConfig[]) {
    for (const entry of entries) this.byHash.set(entry.hash, entry);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The principal of a presented key, or undefined when no configured key matches. */
  authenticate(key: string): Principal | undefined {
    if (key.length < 16 || key.length > 512) return undefined;
    const hash = hashApiKey(key);
    const entry = this.byHash.get(hash);
    if (!entry || !timingSafeEqual(Buffer.from(entry.hash), Buffer.from(hash))) return undefined;
    return principalOfKey(entry);
  }
}
