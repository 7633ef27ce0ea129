/**
 * The gateway's configuration, as a zod schema: the single place where every
 * option, its type, range and default is declared. `config/default.json` holds the
 * shipped values; the README's configuration reference mirrors this file.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().min(1);

export const serverSchema = z.strictObject({
  /** Listen address. Loopback by default until authentication exists. */
  host: z.string().min(1),
  /** Listen port (0 = any free port, for tests). */
  port,
  /** Path prefix under which DICOMweb is served. */
  basePath: z.string().regex(/^\/[A-Za-z0-9._~\-/]*[^/]$/, 'must start with / and not end with /'),
  /** Absolute public URL of the DICOMweb root as clients see it (behind a reverse proxy). */
  publicUrl: z.url({ protocol: /^https?$/ }).nullable(),
  /** Honour Forwarded / X-Forwarded-* headers when building URLs from the request. */
  trustProxy: z.boolean(),
  /** How long in-flight requests may run after SIGTERM before the process exits. */
  shutdownTimeoutMs: positiveMs,
});

export const upstreamSchema = z.strictObject({
  /** DICOMweb root of the PACS, e.g. http://127.0.0.1:8042/dicom-web */
  url: z.url({ protocol: /^https?$/ }),
  /** Human name of the archive, used in error messages for the support desk. */
  name: z.string().min(1),
  /** Maximum concurrent sockets to the upstream. */
  connections: z.number().int().min(1).max(1024),
  connectTimeoutMs: positiveMs,
  /** Time to wait for response headers (a PACS answering a large QIDO can be slow). */
  headersTimeoutMs: positiveMs,
  /** Maximum idle time between body chunks. */
  bodyTimeoutMs: positiveMs,
  /** Idle socket lifetime; keep it below the upstream's own (Orthanc closes after 1 s). */
  keepAliveTimeoutMs: positiveMs,
  /** Retries of idempotent requests on connection resets before any byte arrived. */
  retries: z.number().int().min(0).max(10),
});

export const qidoSchema = z.strictObject({
  /** Upper bound of results per QIDO response; a larger or absent `limit` is cut with a Warning. */
  maxResults: z.number().int().min(1),
  /** Upper bound of upstream results examined when the gateway must filter itself. */
  maxUpstreamScan: z.number().int().min(1),
  /** Query parameters accepted and ignored (cache busters, tokens some viewers add). */
  ignoredParameters: z.array(z.string()),
});

export const cacheSchema = z.strictObject({
  enabled: z.boolean(),
  /** Upper bound of the metadata cache, in bytes of serialized JSON. */
  maxBytes: z.number().int().min(1024),
  /** Lifetime of a cached QIDO/metadata answer. */
  ttlMs: positiveMs,
  /** After the TTL, serve the stale answer for this long while one refresh runs (0 = off). */
  staleWhileRevalidateMs: z.number().int().min(0),
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export const configSchema = z.strictObject({
  server: serverSchema,
  upstream: upstreamSchema,
  qido: qidoSchema,
  cache: cacheSchema,
  log: logSchema,
});

export type GatewayConfig = z.infer<typeof configSchema>;
