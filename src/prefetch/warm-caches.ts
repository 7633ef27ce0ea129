/**
 * What a prefetch puts into the gateway's in-memory caches besides the edge:
 * the study's WADO-RS metadata (PS3.18 §10.4.1.1.2) and that of each of its
 * series, derived from the one study answer (no extra archive request), under
 * the metadata handler's keys (metadataCacheKey), and the
 * study's series search (QIDO-RS /studies/{study}/series, §10.6.1).
 */
import { makeAnswer, withGzip, type MetadataCache } from '../cache/metadata-cache.js';
import { parseQidoQuery } from '../dicomweb/qido/params.js';
import type { QidoService } from '../dicomweb/qido/service.js';
import { rewriteMetadataUrls } from '../dicomweb/wado/bulkdata/uri.js';
import { metadataCacheKey } from '../dicomweb/wado/resource.js';

type Dataset = Record<string, { Value?: unknown[] } | undefined>;

async function seed(cache: MetadataCache, key: string, studyUid: string, datasets: unknown[]): Promise<void> {
  await cache.get(key, studyUid, async () => withGzip(makeAnswer(200, Buffer.from(JSON.stringify(datasets)))));
}

/** Seeds study and series metadata; `metadata` is the archive's answer (it is not changed). */
export async function warmMetadata(cache: MetadataCache, baseUrl: string, studyUid: string, metadata: readonly unknown[]): Promise<void> {
  if (!cache.enabled) return;
  const rewritten = rewriteMetadataUrls(structuredClone(metadata) as unknown[], baseUrl);
  await seed(cache, metadataCacheKey(baseUrl, { study: studyUid }), studyUid, rewritten);
  const bySeries = new Map<string, unknown[]>();
  for (const dataset of rewritten) {
    const series = (dataset as Dataset)['0020000E']?.Value?.[0];
    if (typeof series !== 'string') continue;
    const list = bySeries.get(series) ?? [];
    list.push(dataset);
    bySeries.set(series, list);
  }
  for (const [series, datasets] of bySeries) await seed(cache, metadataCacheKey(baseUrl, { study: studyUid, series }), studyUid, datasets);
}

/** The study's series list as a viewer asks for it first. */
export async function warmSeriesSearch(qido: QidoService, baseUrl: string, studyUid: string): Promise<void> {
  await qido.search(parseQidoQuery('', { level: 'series', studyUid, ignoredParameters: [] }), baseUrl);
}
