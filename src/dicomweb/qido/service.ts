/**
 * Runs a validated QIDO query: cache lookup, upstream search, gateway-side
 * matching and paging, and the finished answer (body, status, Warning headers).
 */
import type { GatewayConfig } from '../../config/schema.js';
import { GLOBAL_SCOPE, makeAnswer, type CachedAnswer, type CacheOutcome, type MetadataCache } from '../../cache/metadata-cache.js';
import { UpstreamFailureError } from '../../http/errors.js';
import type { UpstreamClient } from '../../upstream/client.js';
import { matchesAll } from './matching.js';
import { planUpstream } from './upstream-plan.js';
import { asDatasetArray, normalizeResult } from './results.js';
import { enrichWithParents } from './enrich.js';
import { requiredLevels } from './levels.js';
import type { QidoQuery } from './query.js';

const WARN_AGENT = 'dicomweb-gateway';

export function warning(text: string): string {
  return `299 ${WARN_AGENT} "${text.replace(/"/g, "'")}"`;
}

/** A key that does not depend on parameter order or keyword-vs-tag spelling. */
export function cacheKey(query: QidoQuery, baseUrl: string): string {
  const filters = query.filters.map((f) => `${f.path.map((a) => a.tag).join('.')}=${f.value}`).sort();
  const include = query.includeFields.map((p) => p.map((a) => a.tag).join('.')).sort();
  return JSON.stringify(['qido', baseUrl, query.level, query.studyUid ?? '', query.seriesUid ?? '', filters,
    query.includeAll, include, query.fuzzy, query.emptyValueMatching, query.multipleValueMatching, query.limit ?? null, query.offset]);
}

/** The study an answer depends on, for invalidation after a store. */
export function cacheScope(query: QidoQuery): string {
  if (query.studyUid) return query.studyUid;
  const studyFilter = query.filters.find((f) => f.path.length === 1 && f.path[0]!.keyword === 'StudyInstanceUID' && f.kind === 'single');
  return studyFilter?.value ?? GLOBAL_SCOPE;
}

export class QidoService {
  constructor(
    private readonly upstream: UpstreamClient,
    private readonly cache: MetadataCache,
    private readonly config: GatewayConfig['qido'],
  ) {}

  search(query: QidoQuery, baseUrl: string): Promise<{ answer: CachedAnswer; outcome: CacheOutcome }> {
    return this.cache.get(cacheKey(query, baseUrl), cacheScope(query), () => this.searchUpstream(query, baseUrl));
  }

  private async searchUpstream(query: QidoQuery, baseUrl: string): Promise<CachedAnswer> {
    const limit = Math.min(query.limit ?? this.config.maxResults, this.config.maxResults);
    const plan = planUpstream(query, limit, this.config.maxUpstreamScan);
    const raw = asDatasetArray(await this.upstream.getJson(plan.path, plan.query));
    if (!raw) throw new UpstreamFailureError(this.upstream.name, 'sent a search answer that is not a DICOM JSON array.', 502, 'UPSTREAM_BAD_RESPONSE');
    const warnings: string[] = [];
    if (!query.multipleValueMatching) warnings.push(warning('multiplevaluematching=false is not supported: a multi-valued attribute matches when any of its values matches.'));
    let results = raw;
    if (plan.localPaging) {
      if (raw.length > this.config.maxUpstreamScan) {
        warnings.push(warning(`The archive holds more candidates than the gateway examines (${this.config.maxUpstreamScan}); results may be incomplete. Narrow the query.`));
        results = raw.slice(0, this.config.maxUpstreamScan);
      }
      results = results.filter((d) => matchesAll(d, plan.localFilters, query)).slice(query.offset);
    }
    if (results.length > limit) {
      warnings.push(warning('The number of results exceeded the limit; additional results can be requested with offset.'));
      results = results.slice(0, limit);
    }
    const headers: Record<string, string> = warnings.length ? { warning: warnings.join(', ') } : {};
    if (results.length === 0) return makeAnswer(204, Buffer.alloc(0), headers);
    await enrichWithParents(this.upstream, query, results);
    const levels = requiredLevels(query.level, query.studyUid !== undefined);
    const body = Buffer.from(JSON.stringify(results.map((d) => normalizeResult(d, query.level, baseUrl, levels))));
    return makeAnswer(200, body, headers);
  }
}
