/**
 * Rewrites URLs inside DICOM JSON metadata from the upstream to the gateway
 * (PS3.18 §F.2.6 BulkDataURI; §10.4.3: URIs shall be resolvable by the client).
 * Orthanc writes absolute URLs built from the Host header it was sent; the part
 * from `/studies/` on is the resource path, identical on the gateway.
 */
const RETRIEVE_URL_TAG = '00081190';

function rewriteUrl(value: string, gatewayBase: string): string {
  const at = value.indexOf('/studies/');
  return at === -1 ? value : gatewayBase + value.slice(at);
}

type Json = unknown;

function rewriteNode(node: Json, gatewayBase: string): void {
  if (Array.isArray(node)) {
    for (const item of node) rewriteNode(item, gatewayBase);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, Json>;
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'BulkDataURI' && typeof value === 'string') obj[key] = rewriteUrl(value, gatewayBase);
    else if (key === RETRIEVE_URL_TAG && value && typeof value === 'object') {
      const attr = value as { Value?: unknown[] };
      if (Array.isArray(attr.Value)) attr.Value = attr.Value.map((v) => (typeof v === 'string' ? rewriteUrl(v, gatewayBase) : v));
    } else if (value && typeof value === 'object') rewriteNode(value, gatewayBase);
  }
}

/** Rewrites in place and returns the same value. */
export function rewriteMetadataUrls<T>(metadata: T, gatewayBase: string): T {
  rewriteNode(metadata, gatewayBase);
  return metadata;
}
