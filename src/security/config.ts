/**
 * The `security` configuration section (zod): authentication (OIDC bearer JWTs,
 * API keys), authorization restrictions, audit trail, CORS and edge limits, TLS.
 * Imported by src/config/schema.ts; the README's configuration table and its
 * "Security" section mirror this file.
 */
import { z } from 'zod';

export const ROLES = ['read', 'write', 'admin'] as const;
const role = z.enum(ROLES);
const positiveMs = z.number().int().min(1);
/** Values or patterns with `*` (any run) and `?` (one character), e.g. "MRN-1234*". */
const patternList = z.array(z.string().min(1).max(256)).max(100_000);
const uid = z.string().regex(/^[0-9]+(\.[0-9]+)*$/).max(64);
const policyName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

/** Absent = no restriction on that dimension; present (even empty) = only these. All given must hold. */
const restrictionFields = {
  /** PatientID (0010,0020) values or patterns the client may see. */
  patientIds: patternList.optional(),
  /** IssuerOfPatientID (0010,0021) values or patterns the client may see. */
  issuers: patternList.optional(),
  /** Study Instance UIDs the client may see. */
  studies: z.array(uid).max(100_000).optional(),
};

const rateSchema = z.strictObject({
  /** Sustained requests per second per client identity. */
  requestsPerSecond: z.number().min(0.01),
  /** Requests allowed in a burst above the sustained rate. */
  burst: z.number().int().min(1),
});

export const apiKeySchema = z.strictObject({
  /** Identifier recorded in the audit trail as the user (never the key itself). */
  id: z.string().regex(/^[A-Za-z0-9._@:-]{1,64}$/),
  /** "sha256:" + hex SHA-256 of the key; `npx tsx src/security/api-key-tool.ts` makes a key and its hash. */
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  roles: z.array(role).min(1),
  ...restrictionFields,
  /** STOW-RS validation policy (stow.policies[].name) applied to this client's uploads. */
  stowPolicy: policyName.optional(),
  /** Own rate limit, instead of security.rateLimit's. */
  rateLimit: rateSchema.optional(),
});

const claimsSchema = z.strictObject({
  /** Claims (dotted paths) whose values name roles or scopes: space-separated strings or arrays. */
  roles: z.array(z.string().min(1)).min(1).default(['scope', 'scp', 'roles', 'realm_access.roles']),
  /** Claim shown as the user's name in the audit trail (the subject `sub` is the user id). */
  userName: z.string().min(1).default('preferred_username'),
  /** Claim listing the PatientIDs (or patterns) the user may see; null = not used. */
  patientIds: z.string().min(1).nullable().default(null),
  /** Claim listing the IssuerOfPatientID values (or patterns) the user may see; null = not used. */
  issuers: z.string().min(1).nullable().default(null),
  /** Claim listing the Study Instance UIDs the user may see; null = not used. */
  studies: z.string().min(1).nullable().default(null),
});

const oidcSchema = z.strictObject({
  /** Expected `iss` (one or several). */
  issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Expected `aud` (any of these). */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** JWKS URL; null = `jwks_uri` of the issuer's /.well-known/openid-configuration (unless publicKeyFile is set). */
  jwksUri: z.url({ protocol: /^https?$/ }).nullable().default(null),
  /** PEM public key or certificate file used instead of a JWKS. */
  publicKeyFile: z.string().min(1).nullable().default(null),
  /** Accepted signature algorithms; `none` and shared-secret (HS*) algorithms are never accepted. */
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256']),
  /** Allowed clock difference for exp/nbf/iat, in seconds. */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
  /** How long fetched JWKS keys are trusted before a refresh. */
  jwksCacheMaxAgeMs: positiveMs.default(600_000),
  /** Least time between two JWKS fetches (an unknown `kid` triggers one). */
  jwksCooldownMs: z.number().int().min(0).default(30_000),
  /** Accept the token as `?access_token=` (some viewers load images by URL). */
  allowQueryToken: z.boolean().default(false),
  claims: claimsSchema.default(claimsSchema.parse({})),
  /** Which role or scope names grant each gateway role. */
  roleMapping: z.strictObject({
    read: z.array(z.string().min(1)).default(['read', 'dicomweb.read', 'dicomweb:read']),
    write: z.array(z.string().min(1)).default(['write', 'dicomweb.write', 'dicomweb:write']),
    admin: z.array(z.string().min(1)).default(['admin', 'dicomweb.admin', 'dicomweb:admin']),
  }).default({ read: ['read', 'dicomweb.read', 'dicomweb:read'], write: ['write', 'dicomweb.write', 'dicomweb:write'], admin: ['admin', 'dicomweb.admin', 'dicomweb:admin'] }),
  /** Tokens without any restriction claim see nothing (instead of everything). */
  requireRestriction: z.boolean().default(false),
});

const syslogSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** udp (RFC 5426) or tcp with octet counting (RFC 6587). */
  protocol: z.enum(['udp', 'tcp']).default('udp'),
  /** RFC 5424 facility; 10 = security/authorization (authpriv). */
  facility: z.number().int().min(0).max(23).default(10),
  appName: z.string().regex(/^[!-~]{1,48}$/).default('dicomweb-gateway'),
});

const auditSchema = z.strictObject({
  enabled: z.boolean(),
  /** Folder of the audit log (JSON lines, one file per day, rotated by size); null = a folder under the OS temp dir. */
  dir: z.string().min(1).nullable(),
  /** fsync: an event is on disk (fdatasync, grouped) before its response is sent; write: in the OS after write(2), synced every second. */
  durability: z.enum(['fsync', 'write']),
  /** A new file is started when the current one reaches this size. */
  rotateBytes: z.number().int().min(4096),
  /** Refuse requests (503) while events cannot be written, rather than serve unaudited. */
  failClosed: z.boolean(),
  /** Look up the patient of every study accessed, for the audit trail, even for unrestricted clients (one cached query per study). */
  resolvePatients: z.boolean(),
  /** Also send each event as RFC 5424 syslog; null = off. */
  syslog: syslogSchema.nullable(),
});

const corsSchema = z.strictObject({
  /** Origins (scheme://host[:port]) of web viewers allowed to call the gateway; "*" = any. Empty = no CORS. */
  allowedOrigins: z.array(z.string().regex(/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/)),
  allowCredentials: z.boolean(),
  maxAgeSeconds: z.number().int().min(0).max(86_400),
});

const limitsSchema = z.strictObject({
  /** Longest request target (path + query), in bytes (414 above). */
  maxUrlBytes: z.number().int().min(256),
  /** Largest request header block, in bytes (431 above). */
  maxHeaderBytes: z.number().int().min(1024),
  /** Largest request body of anything but STOW-RS (which has stow.maxRequestBytes), in bytes (413 above). */
  maxBodyBytes: z.number().int().min(0),
  /** Query parameters accepted on WADO-RS and STOW-RS routes beyond the built-in list. */
  extraQueryParameters: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)),
});

const serverTlsSchema = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  passphrase: z.string().optional(),
  /** Reload cert and key when the files change (also on SIGHUP). */
  watch: z.boolean().default(true),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

const upstreamTlsSchema = z.strictObject({
  /** PEM CA bundle that signs the PACS's certificate (instead of the system CAs). */
  caFile: z.string().min(1).nullable().default(null),
  /** Client certificate and key for mutual TLS to the PACS. */
  certFile: z.string().min(1).nullable().default(null),
  keyFile: z.string().min(1).nullable().default(null),
  passphrase: z.string().optional(),
  /** Name to verify in the PACS's certificate when it differs from the URL's host. */
  servername: z.string().min(1).nullable().default(null),
});

export const securitySchema = z.strictObject({
  /** Accept requests without credentials on a non-loopback listener (logged loudly at start). */
  allowAnonymous: z.boolean(),
  /** Roles of requests without credentials, where they are accepted. */
  anonymousRoles: z.array(role),
  oidc: oidcSchema.nullable(),
  apiKeys: z.array(apiKeySchema),
  /** How long the patient of a study, looked up for access checks, is remembered. */
  studyLookupTtlMs: positiveMs,
  audit: auditSchema,
  cors: corsSchema,
  /** Cross-Origin-Resource-Policy of rendered, thumbnail, frame and bulk data responses (others get same-origin). */
  crossOriginResourcePolicy: z.enum(['same-origin', 'same-site', 'cross-origin']),
  rateLimit: rateSchema.extend({ enabled: z.boolean() }),
  limits: limitsSchema,
  /** HTTPS listener; null = plain HTTP. */
  tls: serverTlsSchema.nullable(),
  /** TLS options towards an https:// upstream; null = system CAs, no client certificate. */
  upstreamTls: upstreamTlsSchema.nullable(),
});

export type SecurityConfig = z.infer<typeof securitySchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;
export type OidcConfig = z.infer<typeof oidcSchema>;
export type AuditConfig = z.infer<typeof auditSchema>;
export type Role = (typeof ROLES)[number];
