/**
 * WADO-RS metadata: PS3.18 §10.4.1.1.2 (Metadata resources of study, series and
 * instance), answered as application/dicom+json (§F.2). The slow path viewers
 * complain about (a 500-instance series takes Orthanc hundreds of ms) is cached:
 * bounded by bytes, one upstream request for concurrent misses, ETag/304, and
 * gzip computed once per load. The XML form (multipart/related
 * application/dicom+xml) is made from the cached JSON (../xml-answer.ts). BulkDataURIs point at the gateway. A study the
 * edge cache holds complete is answered from its stored metadata without the
 * archive, and so is any study it holds metadata of while the archive fails.
 */
import type { Context } from 'koa';
import type { GatewayServices } from '../../services.js';
import { makeAnswer, withGzip, type CachedAnswer } from '../../cache/metadata-cache.js';
import { NotAcceptableError, NotFoundError, UpstreamFailureError } from '../../http/errors.js';
import { negotiateJsonOrXml, sendXmlAnswer, XML_MULTIPART_TYPE } from '../xml-answer.js';
import { publicBaseUrl } from '../../http/base-url.js';
import { CACHE_HEADER, sendCachedAnswer } from '../../http/send-answer.js';
import { isArchiveOutage, withEdgeMissHint } from '../../edge/outage.js';
import { metadataFromEdge } from '../../edge/wado-metadata.js';
import { rewriteMetadataUrls } from './bulkdata/uri.js';
import { describe, metadataCacheKey, resourceOf, resourcePath, type WadoResource } from './resource.js';

const METADATA_MEDIA_TYPES = ['application/dicom+json', 'application/json'] as const;
const ALL_METADATA_TYPES = [...METADATA_MEDIA_TYPES, XML_MULTIPART_TYPE];

export function createMetadataHandlers(services: GatewayServices) {
  const { upstream, metadataCache, edge } = services;

  function answerOf(metadata: unknown[], baseUrl: string, headers: Record<string, string> = {}): Promise<CachedAnswer> {
    return withGzip(makeAnswer(200, Buffer.from(JSON.stringify(rewriteMetadataUrls(metadata, baseUrl))), headers));
  }

  async function load(resource: WadoResource, baseUrl: string): Promise<CachedAnswer> {
    const held = await metadataFromEdge(edge, { ...resource, requireComplete: true });
    if (held) return answerOf(held, baseUrl, { [CACHE_HEADER]: 'EDGE' });
    try {
      return await loadFromArchive(resource, baseUrl);
    } catch (err) {
      if (!isArchiveOutage(err)) throw err;
      const fallback = await metadataFromEdge(edge, { ...resource, requireComplete: false });
      if (!fallback) throw edge.enabled ? withEdgeMissHint(err) : err;
      return answerOf(fallback, baseUrl, { [CACHE_HEADER]: 'EDGE' });
    }
  }

  async function loadFromArchive(resource: WadoResource, baseUrl: string): Promise<CachedAnswer> {
    const metadata = await upstream.getJson(`${resourcePath(resource)}/metadata`, '');
    if (!Array.isArray(metadata)) {
      throw new UpstreamFailureError(upstream.name, 'sent metadata that is not a DICOM JSON array.', 502, 'UPSTREAM_BAD_RESPONSE');
    }
    // Orthanc answers 200 [] (or 404) for what it does not hold: both are "not found".
    if (metadata.length === 0) throw new NotFoundError(`No ${describe(resource)} in the archive.`);
    return answerOf(metadata, baseUrl);
  }

  async function metadata(ctx: Context): Promise<void> {
    const mediaType = negotiateJsonOrXml(ctx.get('accept'), METADATA_MEDIA_TYPES);
    if (!mediaType) {
      throw new NotAcceptableError(`Metadata is served as ${ALL_METADATA_TYPES.join(', ')}; the Accept header "${ctx.get('accept')}" allows none of them.`, ALL_METADATA_TYPES);
    }
    const resource = resourceOf(ctx);
    const baseUrl = publicBaseUrl(ctx, services.config.server);
    const { answer, outcome } = await metadataCache.get(metadataCacheKey(baseUrl, resource), resource.study, () => load(resource, baseUrl));
    if (mediaType === XML_MULTIPART_TYPE) sendXmlAnswer(ctx, answer, outcome);
    else sendCachedAnswer(ctx, answer, outcome, mediaType);
  }

  return {
    /** §10.4.1.1.2 Study metadata. */
    handleRetrieveStudyMetadata: metadata,
    /** §10.4.1.1.2 Series metadata. */
    handleRetrieveSeriesMetadata: metadata,
    /** §10.4.1.1.2 Instance metadata. */
    handleRetrieveInstanceMetadata: metadata,
  };
}
