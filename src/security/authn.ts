/**
 * Authentication: who is calling, from `Authorization: Bearer <JWT>` (OIDC),
 * `Authorization: ApiKey <key>` / `X-API-Key` / a non-JWT bearer value (API
 * keys), or `?access_token=` when configured. A bad credential is always a
 * 401, never downgraded to anonymous; no credential is anonymous only where
 * anonymous access is allowed (loopback without authentication configured, or
 * security.allowAnonymous).
 */
import type { Context } from 'koa';
import { decodeJwt } from 'jose';
import type { SecurityConfig } from './config.js';
import { ApiKeyStore } from './api-keys.js';
import { principalOfToken } from './claims.js';
import { UnauthorizedError } from './errors.js';
import { JwtVerifier } from './jwt.js';
import { anonymousPrincipal, type Principal } from './principal.js';

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const REALM = 'dicomweb-gateway';

interface Credential {
  kind: 'jwt' | 'apiKey';
  value: string;
  fromQuery?: boolean;
}

export function queryToken(querystring: string): string | undefined {
  if (!querystring.includes('access_token=')) return undefined;
  return new URLSearchParams(querystring).get('access_token') ?? undefined;
}

function credentialOf(ctx: Context): Credential | undefined {
  const header = ctx.get('authorization');
  if (header) {
    const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
    if (/^bearer$/i.test(scheme) && value) return { kind: JWS_COMPACT.test(value) ? 'jwt' : 'apiKey', value };
    if (/^apikey$/i.test(scheme) && value) return { kind: 'apiKey', value };
    throw new UnauthorizedError('UNSUPPORTED_CREDENTIALS', 'The Authorization header must be "Bearer <access token>" or "ApiKey <key>".', 'invalid_request');
  }
  const apiKey = ctx.get('x-api-key');
  if (apiKey) return { kind: 'apiKey', value: apiKey.trim() };
  const token = queryToken(ctx.querystring);
  if (token) return { kind: 'jwt', value: token, fromQuery: true };
  return undefined;
}

/** The subject a rejected token claims, for the audit trail only (never trusted). */
function claimedSubject(token: string): string | undefined {
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === 'string' ? sub.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

export class Authenticator {
  private readonly jwt?: JwtVerifier;
  private readonly keys: ApiKeyStore;
  readonly enabled: boolean;

  constructor(private readonly config: SecurityConfig, private readonly anonymousAllowed: boolean) {
    if (config.oidc) this.jwt = new JwtVerifier(config.oidc);
    this.keys = new ApiKeyStore(config.apiKeys);
    this.enabled = this.jwt !== undefined || this.keys.size > 0;
  }

  /** RFC 6750 §3 / RFC 9110 §11.6.1 challenges for a 401. */
  challenges(err?: UnauthorizedError): string[] {
    const out: string[] = [];
    if (this.jwt) {
      const detail = err?.bearerError ? `, error="${err.bearerError}", error_description="${err.detail.replace(/["\\]/g, '')}"` : '';
      out.push(`Bearer realm="${REALM}"${detail}`);
    }
    if (this.keys.size > 0) out.push(`ApiKey realm="${REALM}"`);
    return out;
  }

  async authenticate(ctx: Context): Promise<Principal> {
    if (!this.enabled) return anonymousPrincipal(this.config.anonymousRoles);
    const credential = credentialOf(ctx);
    if (!credential) {
      if (this.anonymousAllowed) return anonymousPrincipal(this.config.anonymousRoles);
      throw new UnauthorizedError('CREDENTIALS_REQUIRED', 'This gateway requires authentication: send "Authorization: Bearer <access token>" (or an API key).');
    }
    return credential.kind === 'jwt' ? this.fromToken(ctx, credential) : this.fromKey(credential.value);
  }

  private async fromToken(ctx: Context, credential: Credential): Promise<Principal> {
    if (!this.jwt) throw new UnauthorizedError('TOKEN_NOT_ACCEPTED', 'This gateway accepts API keys only, not bearer tokens.', 'invalid_token');
    if (credential.fromQuery && !this.config.oidc?.allowQueryToken) {
      throw new UnauthorizedError('QUERY_TOKEN_NOT_ALLOWED', 'Access tokens in the URL (?access_token=) are not accepted here; send an Authorization header (security.oidc.allowQueryToken).', 'invalid_request');
    }
    try {
      return principalOfToken(await this.jwt.verify(credential.value), this.config.oidc!);
    } catch (err) {
      const claimed = claimedSubject(credential.value);
      if (claimed) ctx.state.claimedUser = claimed;
      throw err;
    }
  }

  private fromKey(key: string): Principal {
    if (this.keys.size === 0) throw new UnauthorizedError('TOKEN_MALFORMED', 'The access token is not a well-formed signed JWT.', 'invalid_token');
    const principal = this.keys.authenticate(key);
    if (!principal) throw new UnauthorizedError('INVALID_API_KEY', 'The API key is not valid.', 'invalid_token');
    return principal;
  }
}
