/**
 * The gateway's configuration, as a zod schema: the single place where every
 * option, its type, range and default is declared. `config/default.json` holds the
 * shipped values; the README's configuration reference mirrors this file.
 */
import { z } from 'zod';
import { SOP_CLASS_GROUP_NAMES } from '../dicomweb/stow/sop-classes.js';
import { securitySchema } from '../security/config.js';

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
  /** Retries of idempotent requests (GET/HEAD) on connection errors, resets before the answer, 502/503/504/429. Never for STOW. */
  retries: z.number().int().min(0).max(10),
  /** First retry delay; later ones grow exponentially with jitter, up to retryMaxDelayMs (a Retry-After from the upstream wins). */
  retryInitialDelayMs: z.number().int().min(0),
  retryMaxDelayMs: z.number().int().min(0),
  /** Retries allowed per 10 s window, as a share of requests (so retries cannot multiply load on a struggling PACS)… */
  retryBudgetRatio: z.number().min(0).max(1),
  /** …but at least this many retries per 10 s window. */
  retryBudgetMinimum: z.number().int().min(0),
  /** Consecutive failures (unreachable, timeout, 502/503/504) that open the circuit. */
  breakerThreshold: z.number().int().min(1),
  /** How long an open circuit fails fast before one probe request is let through. */
  breakerHalfOpenAfterMs: z.number().int().min(100),
  /** Concurrent upstream requests per route class, so a flood of one kind cannot starve the others. */
  bulkhead: z.strictObject({
    search: z.number().int().min(1),
    metadata: z.number().int().min(1),
    retrieve: z.number().int().min(1),
    frames: z.number().int().min(1),
    rendered: z.number().int().min(1),
    store: z.number().int().min(1),
    /** Requests waiting for a slot per class before new ones are refused with 503. */
    queue: z.number().int().min(0),
  }),
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
  /** While the upstream is unreachable, serve answers up to this old, marked stale (Warning 110/111); 0 = off. */
  staleIfErrorMs: z.number().int().min(0),
});

export const wadoSchema = z.strictObject({
  /** Folder of the on-disk instance cache that frames and bulk data are served from (null = a folder under the OS temp dir). */
  instanceCacheDir: z.string().min(1).nullable(),
  /** Upper bound of the on-disk instance cache, in bytes; least recently used instances are evicted. */
  instanceCacheMaxBytes: z.number().int().min(1024 * 1024),
  /** Instances larger than this are never fetched whole for frame access; frames are asked of the upstream. */
  instanceCacheMaxInstanceBytes: z.number().int().min(1024),
  /** Upper bound of decoded copies of compressed instances kept for uncompressed frame requests, in bytes (on disk; 0 = decode every request). */
  decodedCacheMaxBytes: z.number().int().min(0),
  /** Upper bound of cached rendered images and thumbnails, in bytes (on disk, same folder). */
  renderedCacheMaxBytes: z.number().int().min(1024),
  /** Default edge of /thumbnail images in pixels when no viewport is given. */
  thumbnailSize: z.number().int().min(16).max(1024),
  /** Largest stored instance the gateway downloads to render itself when the upstream cannot (422 above). */
  renderedMaxInstanceBytes: z.number().int().min(1024),
  /** `Cache-Control: private, max-age` of rendered images and thumbnails, in seconds (they are PHI: keep it short). */
  renderedMaxAgeSeconds: z.number().int().min(0),
  /** Frames of this many different instances of one series (within a minute) start a read-ahead of the series into the edge cache; 0 = never. */
  readAheadAfterInstances: z.number().int().min(0),
  /** Retrieves of one series the archive answered (within ten minutes) that start a read-ahead of the series into the edge cache, so that the next ones are answered from disk; 0 = never. */
  readAheadAfterRetrieves: z.number().int().min(0),
  /** Series read-aheads running at once. */
  readAheadConcurrency: z.number().int().min(1).max(16),
  /** Series with more instances are never read ahead. */
  readAheadMaxInstances: z.number().int().min(1),
});

const stowPolicyMatchSchema = z.strictObject({
  /** Request path below the DICOMweb root that must start with this, e.g. "/studies". */
  pathPrefix: z.string().startsWith('/').optional(),
  /** A request header that must be present with exactly this value (set by a trusted proxy). */
  header: z.strictObject({ name: z.string().regex(/^[A-Za-z0-9-]+$/), value: z.string() }).optional(),
});

/** One STOW-RS validation policy (see src/dicomweb/stow/policy.ts). */
export const stowPolicySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** All given conditions must hold; an empty match fits every request. Issue 6 (API keys) may also select a policy by name. */
  match: stowPolicyMatchSchema.default({}),
  /** SOP Class UIDs or group names (SR, KO, SEG, SC, GSPS, PR, PDF); absent = any storable class. */
  allowedSopClasses: z.array(z.union([z.enum(SOP_CLASS_GROUP_NAMES), z.string().regex(/^[0-9]+(\.[0-9]+)+$/)])).min(1).optional(),
  /** Refuse instances of studies the archive does not hold yet (0x0124). */
  requireExistingStudy: z.boolean().default(false),
  /** Refuse instances whose PatientID/PatientName/PatientBirthDate differ from the study's in the archive (0xA900). */
  requireMatchingPatient: z.boolean().default(false),
  /** Largest instance this policy accepts, in bytes (0xA700 above). */
  maxInstanceBytes: z.number().int().min(1).optional(),
  /** Attribute keywords every instance must carry with a value, beyond the built-in UIDs (0xA900). */
  requiredAttributes: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/)).default([]),
});

export const stowSchema = z.strictObject({
  /** Largest accepted STOW-RS request body, in bytes (413 above). */
  maxRequestBytes: z.number().int().min(1024),
  /** Largest accepted single part (instance), in bytes (413 above). */
  maxPartBytes: z.number().int().min(1024),
  /** Most parts (instances) in one request (413 above). */
  maxParts: z.number().int().min(1),
  /** Parts larger than this are spooled to disk instead of memory. */
  memoryPartBytes: z.number().int().min(0),
  /** Folder for spooled parts (null = a folder under the OS temp dir). */
  spoolDir: z.string().min(1).nullable(),
  /** Concurrent store requests to the upstream per STOW request. */
  upstreamConcurrency: z.number().int().min(1).max(64),
  /** Instances sent to the upstream in one store request (1 = one request per instance). */
  upstreamBatchInstances: z.number().int().min(1).max(64),
  /** Bytes sent to the upstream in one store request; a larger instance goes alone. */
  upstreamBatchBytes: z.number().int().min(1),
  /** Look up each SOP Instance UID in the archive before storing, to answer a re-sent instance with a warning instead of storing it twice. */
  detectDuplicates: z.boolean(),
  /** Largest instance accepted in the metadata + bulk data (application/dicom+json) form; it is converted to Part 10 in memory. */
  maxConvertBytes: z.number().int().min(1024),
  /** Validation policies; the first whose `match` fits the request applies (none: only the built-in checks). */
  policies: z.array(stowPolicySchema),
});

export const linksSchema = z.strictObject({
  /**
   * Where GET /viewer/studies/{study} redirects. Placeholders: {viewerBase}
   * (links.viewerBase, else this gateway's /viewer, where src/viewer serves OHIF),
   * {study} (the Study Instance UID), {dicomwebRoot} (public DICOMweb root, URL-encoded).
   */
  viewerUrlTemplate: z.string().includes('{study}').default('{viewerBase}/viewer?StudyInstanceUIDs={study}'),
  /** Absolute URL of an external viewer; null = the gateway's own /viewer. */
  viewerBase: z.url({ protocol: /^https?$/ }).nullable().default(null),
});

export const stateSchema = z.strictObject({
  /**
   * Folder of the gateway's durable state: the SQLite database of identity links,
   * reconciliation items, prefetch jobs and the edge cache index (null = a folder
   * under the OS temp dir, kept across restarts on one machine; set it in production).
   */
  dir: z.string().min(1).nullable(),
  /** Storage backend. Only "sqlite" exists; the repositories are interfaces so that a PostgreSQL backend can follow. */
  backend: z.enum(['sqlite']),
});

export const identitySchema = z.strictObject({
  /**
   * IssuerOfPatientID values that name EHR identities: a QIDO-RS search with
   * PatientID plus one of these issuers is answered through the identity links
   * (the PACS is asked for the linked PACS identifiers).
   */
  ehrIssuers: z.array(z.string().min(1)),
  /** Demographic agreement (0–1) from which a study counts as the linked patient's; below it the study goes to reconciliation. */
  matchThreshold: z.number().min(0).max(1),
  /** Most candidates listed on one reconciliation item. */
  maxCandidates: z.number().int().min(1).max(50),
  /** NO_LINK reconciliation items one caller may open per hour (0 = no bound); beyond it the search answers without opening one. */
  maxNoLinkItemsPerCallerPerHour: z.number().int().min(0),
});

export const prefetchSchema = z.strictObject({
  /** Accept POST /api/prefetch and run jobs. */
  enabled: z.boolean(),
  /** Jobs running at once; later ones wait queued. */
  concurrentJobs: z.number().int().min(1).max(16),
  /** Instances one job fetches at once. */
  instanceConcurrency: z.number().int().min(1).max(32),
  /** Attempts after the first for one study step or instance when the archive fails (with exponential backoff). */
  retries: z.number().int().min(0).max(20),
  retryInitialDelayMs: z.number().int().min(0),
  retryMaxDelayMs: z.number().int().min(0),
  /** Most studies one job fetches; a patient with more ends "partial" with the reason. */
  maxStudiesPerJob: z.number().int().min(1),
  /** How long finished jobs stay listed, in hours. */
  retentionHours: z.number().int().min(1),
});

export const edgeSchema = z.strictObject({
  /** Keep prefetched instances on disk and serve WADO-RS from them without asking the archive. */
  enabled: z.boolean(),
  /** Folder of the edge cache (null = "edge" inside state.dir). */
  dir: z.string().min(1).nullable(),
  /** Upper bound of the edge cache in bytes; least recently used studies are evicted. */
  maxBytes: z.number().int().min(1024 * 1024),
  /** When the SHA-256 of an edge file is checked before it is served: every time, or once per file after each start. */
  verify: z.enum(['always', 'once']),
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export const configSchema = z.strictObject({
  server: serverSchema,
  upstream: upstreamSchema,
  qido: qidoSchema,
  cache: cacheSchema,
  wado: wadoSchema,
  stow: stowSchema,
  security: securitySchema,
  links: linksSchema.prefault({}),
  state: stateSchema,
  identity: identitySchema,
  prefetch: prefetchSchema,
  edge: edgeSchema,
  log: logSchema,
});

export type GatewayConfig = z.infer<typeof configSchema>;
