/**
 * Environment variables that override configuration values. Each maps to one
 * config path; the README's reference table lists the same names.
 */
export type EnvKind = 'string' | 'int' | 'bool' | 'list';

export interface EnvBinding {
  name: string;
  path: readonly string[];
  kind: EnvKind;
}

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'GATEWAY_HOST', path: ['server', 'host'], kind: 'string' },
  { name: 'GATEWAY_PORT', path: ['server', 'port'], kind: 'int' },
  { name: 'GATEWAY_BASE_PATH', path: ['server', 'basePath'], kind: 'string' },
  { name: 'GATEWAY_PUBLIC_URL', path: ['server', 'publicUrl'], kind: 'string' },
  { name: 'GATEWAY_TRUST_PROXY', path: ['server', 'trustProxy'], kind: 'bool' },
  { name: 'GATEWAY_SHUTDOWN_TIMEOUT_MS', path: ['server', 'shutdownTimeoutMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_URL', path: ['upstream', 'url'], kind: 'string' },
  { name: 'GATEWAY_UPSTREAM_NAME', path: ['upstream', 'name'], kind: 'string' },
  { name: 'GATEWAY_UPSTREAM_CONNECTIONS', path: ['upstream', 'connections'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_CONNECT_TIMEOUT_MS', path: ['upstream', 'connectTimeoutMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_HEADERS_TIMEOUT_MS', path: ['upstream', 'headersTimeoutMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_BODY_TIMEOUT_MS', path: ['upstream', 'bodyTimeoutMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_KEEPALIVE_TIMEOUT_MS', path: ['upstream', 'keepAliveTimeoutMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_RETRIES', path: ['upstream', 'retries'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_RETRY_INITIAL_DELAY_MS', path: ['upstream', 'retryInitialDelayMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_RETRY_MAX_DELAY_MS', path: ['upstream', 'retryMaxDelayMs'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_BREAKER_THRESHOLD', path: ['upstream', 'breakerThreshold'], kind: 'int' },
  { name: 'GATEWAY_UPSTREAM_BREAKER_HALF_OPEN_AFTER_MS', path: ['upstream', 'breakerHalfOpenAfterMs'], kind: 'int' },
  { name: 'GATEWAY_QIDO_MAX_RESULTS', path: ['qido', 'maxResults'], kind: 'int' },
  { name: 'GATEWAY_QIDO_MAX_UPSTREAM_SCAN', path: ['qido', 'maxUpstreamScan'], kind: 'int' },
  { name: 'GATEWAY_QIDO_IGNORED_PARAMETERS', path: ['qido', 'ignoredParameters'], kind: 'list' },
  { name: 'GATEWAY_CACHE_ENABLED', path: ['cache', 'enabled'], kind: 'bool' },
  { name: 'GATEWAY_CACHE_MAX_BYTES', path: ['cache', 'maxBytes'], kind: 'int' },
  { name: 'GATEWAY_CACHE_TTL_MS', path: ['cache', 'ttlMs'], kind: 'int' },
  { name: 'GATEWAY_CACHE_STALE_WHILE_REVALIDATE_MS', path: ['cache', 'staleWhileRevalidateMs'], kind: 'int' },
  { name: 'GATEWAY_CACHE_STALE_IF_ERROR_MS', path: ['cache', 'staleIfErrorMs'], kind: 'int' },
  { name: 'GATEWAY_WADO_INSTANCE_CACHE_DIR', path: ['wado', 'instanceCacheDir'], kind: 'string' },
  { name: 'GATEWAY_WADO_INSTANCE_CACHE_MAX_BYTES', path: ['wado', 'instanceCacheMaxBytes'], kind: 'int' },
  { name: 'GATEWAY_WADO_INSTANCE_CACHE_MAX_INSTANCE_BYTES', path: ['wado', 'instanceCacheMaxInstanceBytes'], kind: 'int' },
  { name: 'GATEWAY_WADO_DECODED_CACHE_MAX_BYTES', path: ['wado', 'decodedCacheMaxBytes'], kind: 'int' },
  { name: 'GATEWAY_WADO_RENDERED_CACHE_MAX_BYTES', path: ['wado', 'renderedCacheMaxBytes'], kind: 'int' },
  { name: 'GATEWAY_WADO_THUMBNAIL_SIZE', path: ['wado', 'thumbnailSize'], kind: 'int' },
  { name: 'GATEWAY_WADO_RENDERED_MAX_INSTANCE_BYTES', path: ['wado', 'renderedMaxInstanceBytes'], kind: 'int' },
  { name: 'GATEWAY_WADO_RENDERED_MAX_AGE_SECONDS', path: ['wado', 'renderedMaxAgeSeconds'], kind: 'int' },
  { name: 'GATEWAY_WADO_READ_AHEAD_AFTER_INSTANCES', path: ['wado', 'readAheadAfterInstances'], kind: 'int' },
  { name: 'GATEWAY_WADO_READ_AHEAD_AFTER_RETRIEVES', path: ['wado', 'readAheadAfterRetrieves'], kind: 'int' },
  { name: 'GATEWAY_WADO_READ_AHEAD_CONCURRENCY', path: ['wado', 'readAheadConcurrency'], kind: 'int' },
  { name: 'GATEWAY_WADO_READ_AHEAD_MAX_INSTANCES', path: ['wado', 'readAheadMaxInstances'], kind: 'int' },
  { name: 'GATEWAY_STOW_MAX_REQUEST_BYTES', path: ['stow', 'maxRequestBytes'], kind: 'int' },
  { name: 'GATEWAY_STOW_MAX_PART_BYTES', path: ['stow', 'maxPartBytes'], kind: 'int' },
  { name: 'GATEWAY_STOW_MAX_PARTS', path: ['stow', 'maxParts'], kind: 'int' },
  { name: 'GATEWAY_STOW_MEMORY_PART_BYTES', path: ['stow', 'memoryPartBytes'], kind: 'int' },
  { name: 'GATEWAY_STOW_SPOOL_DIR', path: ['stow', 'spoolDir'], kind: 'string' },
  { name: 'GATEWAY_STOW_UPSTREAM_CONCURRENCY', path: ['stow', 'upstreamConcurrency'], kind: 'int' },
  { name: 'GATEWAY_STOW_UPSTREAM_BATCH_INSTANCES', path: ['stow', 'upstreamBatchInstances'], kind: 'int' },
  { name: 'GATEWAY_STOW_UPSTREAM_BATCH_BYTES', path: ['stow', 'upstreamBatchBytes'], kind: 'int' },
  { name: 'GATEWAY_STOW_DETECT_DUPLICATES', path: ['stow', 'detectDuplicates'], kind: 'bool' },
  { name: 'GATEWAY_STOW_MAX_CONVERT_BYTES', path: ['stow', 'maxConvertBytes'], kind: 'int' },
  { name: 'GATEWAY_SECURITY_ALLOW_ANONYMOUS', path: ['security', 'allowAnonymous'], kind: 'bool' },
  { name: 'GATEWAY_SECURITY_ANONYMOUS_ROLES', path: ['security', 'anonymousRoles'], kind: 'list' },
  { name: 'GATEWAY_SECURITY_OIDC_ISSUER', path: ['security', 'oidc', 'issuer'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_OIDC_AUDIENCE', path: ['security', 'oidc', 'audience'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_OIDC_JWKS_URI', path: ['security', 'oidc', 'jwksUri'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_OIDC_ALLOW_QUERY_TOKEN', path: ['security', 'oidc', 'allowQueryToken'], kind: 'bool' },
  { name: 'GATEWAY_SECURITY_AUDIT_ENABLED', path: ['security', 'audit', 'enabled'], kind: 'bool' },
  { name: 'GATEWAY_SECURITY_AUDIT_DIR', path: ['security', 'audit', 'dir'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_AUDIT_DURABILITY', path: ['security', 'audit', 'durability'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_AUDIT_FAIL_CLOSED', path: ['security', 'audit', 'failClosed'], kind: 'bool' },
  { name: 'GATEWAY_SECURITY_CORS_ALLOWED_ORIGINS', path: ['security', 'cors', 'allowedOrigins'], kind: 'list' },
  { name: 'GATEWAY_SECURITY_RATE_LIMIT_ENABLED', path: ['security', 'rateLimit', 'enabled'], kind: 'bool' },
  { name: 'GATEWAY_SECURITY_TLS_CERT_FILE', path: ['security', 'tls', 'certFile'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_TLS_KEY_FILE', path: ['security', 'tls', 'keyFile'], kind: 'string' },
  { name: 'GATEWAY_SECURITY_UPSTREAM_CA_FILE', path: ['security', 'upstreamTls', 'caFile'], kind: 'string' },
  { name: 'GATEWAY_LINKS_VIEWER_URL_TEMPLATE', path: ['links', 'viewerUrlTemplate'], kind: 'string' },
  { name: 'GATEWAY_LINKS_VIEWER_BASE', path: ['links', 'viewerBase'], kind: 'string' },
  { name: 'GATEWAY_STATE_DIR', path: ['state', 'dir'], kind: 'string' },
  { name: 'GATEWAY_IDENTITY_EHR_ISSUERS', path: ['identity', 'ehrIssuers'], kind: 'list' },
  { name: 'GATEWAY_PREFETCH_ENABLED', path: ['prefetch', 'enabled'], kind: 'bool' },
  { name: 'GATEWAY_PREFETCH_CONCURRENT_JOBS', path: ['prefetch', 'concurrentJobs'], kind: 'int' },
  { name: 'GATEWAY_EDGE_ENABLED', path: ['edge', 'enabled'], kind: 'bool' },
  { name: 'GATEWAY_EDGE_DIR', path: ['edge', 'dir'], kind: 'string' },
  { name: 'GATEWAY_EDGE_MAX_BYTES', path: ['edge', 'maxBytes'], kind: 'int' },
  { name: 'GATEWAY_EDGE_VERIFY', path: ['edge', 'verify'], kind: 'string' },
  { name: 'GATEWAY_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
];

/** Parses one variable; returns an error text instead of throwing so all errors can be listed. */
export function parseEnvValue(binding: EnvBinding, raw: string): { value: unknown } | { error: string } {
  switch (binding.kind) {
    case 'string':
      return { value: raw };
    case 'int':
      return /^-?\d+$/.test(raw.trim()) ? { value: Number(raw) } : { error: `${binding.name}: expected an integer, got "${raw}"` };
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return { value: true };
      if (/^(false|0|no)$/i.test(raw)) return { value: false };
      return { error: `${binding.name}: expected true or false, got "${raw}"` };
    case 'list':
      return { value: raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0) };
  }
}
