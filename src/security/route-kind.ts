/**
 * What a request is, from its method and path, before routing: which role it
 * needs, which audit event it makes, which headers its answer gets. The paths
 * mirror PS3.18 §10 resources (QIDO §10.6.1, WADO §10.4.1, STOW §10.5.1);
 * segments are not decoded here: the router validates UIDs.
 */
export type RouteKind =
  | 'search' | 'metadata' | 'retrieve' | 'rendered' | 'frames' | 'bulk' | 'store'
  /** /healthz, /readyz: probes, no authentication. */
  | 'probe'
  /** /status, /metrics, /admin/*. */
  | 'admin'
  /** /api/identity/*, /api/reconciliation/*: patient identity links and reconciliation (admin role, audited as Patient Record). */
  | 'patient-admin'
  /** /api/prefetch*: background prefetch jobs (read role: a prefetch only warms what the caller could read). */
  | 'prefetch'
  /** A CORS preflight. */
  | 'preflight'
  /** Anything else (answered 404 or 405 by the routers). */
  | 'other';

const PROBES = new Set(['/healthz', '/readyz']);
const PATIENT_ADMIN = /^\/api\/(identity|reconciliation)(\/|$)/;
const PREFETCH = /^\/api\/prefetch(\/|$)/;
const ADMIN = /^\/(status|metrics)$|^\/admin(\/|$)/;
const SEARCH = /^\/(studies|series|instances)$|^\/studies\/[^/]+\/(series|instances)$|^\/studies\/[^/]+\/series\/[^/]+\/instances$/;
const RETRIEVE = /^\/studies\/[^/]+(\/series\/[^/]+(\/instances\/[^/]+)?)?$/;
const INSTANCE = '^\\/studies\\/[^/]+\\/series\\/[^/]+\\/instances\\/[^/]+';
const FRAMES = new RegExp(`${INSTANCE}\\/frames\\/[^/]+$`);
const BULK = new RegExp(`${INSTANCE}\\/bulk\\/`);

function dicomwebKind(method: string, sub: string): RouteKind {
  if (method === 'POST') return /^\/studies(\/[^/]+)?$/.test(sub) ? 'store' : 'other';
  if (method !== 'GET' && method !== 'HEAD') return 'other';
  if (sub.endsWith('/metadata')) return 'metadata';
  if (/\/(rendered|thumbnail)$/.test(sub)) return 'rendered';
  if (FRAMES.test(sub)) return 'frames';
  if (BULK.test(sub)) return 'bulk';
  if (SEARCH.test(sub)) return 'search';
  if (RETRIEVE.test(sub)) return 'retrieve';
  return 'other';
}

export function classifyRequest(method: string, path: string, basePath: string): RouteKind {
  if (method === 'OPTIONS') return 'preflight';
  if (PROBES.has(path)) return 'probe';
  if (ADMIN.test(path)) return 'admin';
  if (PATIENT_ADMIN.test(path)) return 'patient-admin';
  if (PREFETCH.test(path)) return 'prefetch';
  if (path === basePath || path.startsWith(`${basePath}/`)) return dicomwebKind(method, path.slice(basePath.length));
  if ((method === 'GET' || method === 'HEAD') && /^\/fhir(\/|$)/.test(path)) return 'search'; // FHIR ImagingStudy façade over QIDO-RS (src/fhir): read role
  if ((method === 'GET' || method === 'HEAD') && /^\/viewer\/studies\//.test(path)) return 'search'; // viewer link (src/fhir/viewer-link.ts): read role
  return 'other';
}

/** Responses a page may embed from another origin (<img src>, no-cors loads): Cross-Origin-Resource-Policy applies. */
export function isEmbeddable(kind: RouteKind): boolean {
  return kind === 'rendered' || kind === 'frames' || kind === 'bulk' || kind === 'retrieve';
}
