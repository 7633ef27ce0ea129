/**
 * OAuth2 / OIDC bearer token validation with jose: signature against the
 * issuer's JWKS (cached; an unknown `kid` triggers a refetch, at most once per
 * cooldown) or a configured public key; `iss`, `aud`, `exp`/`nbf` with a small
 * clock tolerance; an algorithm allowlist that never contains `none` or HS*.
 */
import { readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../http/errors.js';
import type { OidcConfig } from './config.js';
import { UnauthorizedError } from './errors.js';

type KeySource = KeyObject | JWTVerifyGetKey;

const CLAIM_CODES: Record<string, [string, string]> = {
  iss: ['TOKEN_WRONG_ISSUER', 'The access token was issued by an issuer this gateway does not trust.'],
  aud: ['TOKEN_WRONG_AUDIENCE', 'The access token is not meant for this gateway (audience mismatch).'],
  nbf: ['TOKEN_NOT_YET_VALID', 'The access token is not valid yet (nbf).'],
  exp: ['TOKEN_INVALID', 'The access token has no valid expiry (exp).'],
  sub: ['TOKEN_INVALID', 'The access token has no subject (sub).'],
};

/** jose's error codes → 401 codes the audit trail and the client can tell apart. */
export function tokenError(err: unknown): GatewayError {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return new UnauthorizedError('TOKEN_EXPIRED', 'The access token has expired; obtain a new one.', 'invalid_token');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const [code, detail] = CLAIM_CODES[e.claim ?? ''] ?? ['TOKEN_INVALID', `The access token's "${e.claim}" claim is not acceptable.`];
      return new UnauthorizedError(code, detail, 'invalid_token');
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new UnauthorizedError('TOKEN_ALG_NOT_ALLOWED', 'The access token is signed with an algorithm this gateway does not accept.', 'invalid_token');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new UnauthorizedError('TOKEN_BAD_SIGNATURE', 'The access token\'s signature is not valid.', 'invalid_token');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new UnauthorizedError('TOKEN_UNKNOWN_KEY', 'The access token is signed with a key the issuer does not publish.', 'invalid_token');
    case 'ERR_JWKS_TIMEOUT':
      return keysUnavailable('the key set request timed out');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new UnauthorizedError('TOKEN_MALFORMED', 'The access token is not a well-formed signed JWT.', 'invalid_token');
    default:
      if (e.code === 'ERR_JOSE_GENERIC' || e.code === undefined) return keysUnavailable(String(e.message ?? err).slice(0, 160));
      return new UnauthorizedError('TOKEN_INVALID', 'The access token is not valid.', 'invalid_token');
  }
}

function keysUnavailable(cause: string): GatewayError {
  return new GatewayError(503, 'AUTH_KEYS_UNAVAILABLE', 'Identity provider unavailable', `The identity provider's signing keys cannot be fetched (${cause}); tokens cannot be checked. Retry shortly.`, { retryAfterSeconds: 5 });
}

/** RFC 8414 / OIDC Discovery: the JWKS address from the issuer's metadata. */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`discovery document answered HTTP ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
  return new URL(doc.jwks_uri);
}

export class JwtVerifier {
  private keys?: Promise<KeySource>;

  constructor(private readonly config: OidcConfig) {
    // A configured key file is read at start, so a missing file fails the start, not the first request.
    if (config.publicKeyFile) this.keys = Promise.resolve(createPublicKey(readFileSync(config.publicKeyFile)));
  }

  private keySource(): Promise<KeySource> {
    if (!this.keys) {
      const options = { cacheMaxAge: this.config.jwksCacheMaxAgeMs, cooldownDuration: this.config.jwksCooldownMs, timeoutDuration: 5000 };
      const issuer = Array.isArray(this.config.issuer) ? this.config.issuer[0]! : this.config.issuer;
      const uri = this.config.jwksUri ? Promise.resolve(new URL(this.config.jwksUri)) : discoverJwksUri(issuer);
      this.keys = uri.then((u) => createRemoteJWKSet(u, options));
      this.keys.catch(() => (this.keys = undefined)); // retry discovery on the next request
    }
    return this.keys;
  }

  /** The verified claims, or throws a 401 (bad token) / 503 (keys unavailable) GatewayError. */
  async verify(token: string): Promise<JWTPayload> {
    let keys: KeySource;
    try {
      keys = await this.keySource();
    } catch (err) {
      throw keysUnavailable((err as Error).message.slice(0, 160));
    }
    try {
      const options = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      };
      const { payload } = typeof keys === 'function' ? await jwtVerify(token, keys, options) : await jwtVerify(token, keys, options);
      return payload;
    } catch (err) {
      throw tokenError(err);
    }
  }
}
