/**
 * In-memory cache of finished DICOM JSON answers (QIDO results, later /metadata),
 * built on lru-cache: bounded by bytes and by TTL by construction, concurrent
 * misses for one key share one upstream request (lru-cache's fetch coalescing),
 * optional stale-while-revalidate, and invalidation by study for STOW.
 * Pixels never go here: only metadata, which is small and hot.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../http/errors.js';

export interface CachedAnswer {
  status: number;
  body: Buffer;
  /** Strong validator of `body`, quoted as it goes into the ETag header. */
  etag: string;
  /** Extra response headers that belong to the answer (e.g. Warning). */
  headers: Readonly<Record<string, string>>;
  /** The body gzip-compressed once at load time, for clients that accept it. */
  gzip?: Buffer;
}

/**
 * HIT fresh; MISS loaded now; STALE past its TTL, served while one refresh runs;
 * STALE-IF-ERROR past its TTL, served because the upstream is failing; BYPASS cache off.
 */
export type CacheOutcome = 'HIT' | 'MISS' | 'STALE' | 'STALE-IF-ERROR' | 'BYPASS';

/** Scope of an entry: the study it depends on, or GLOBAL_SCOPE for cross-study queries. */
export const GLOBAL_SCOPE = '*';

interface Entry {
  answer: CachedAnswer;
  scope: string;
  freshUntil: number;
}

type Loader = () => Promise<CachedAnswer>;

const gzipAsync = promisify(gzip);

export interface CacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  stale: number;
  staleIfError: number;
  evictions: number;
}

export function makeAnswer(status: number, body: Buffer, headers: Record<string, string> = {}): CachedAnswer {
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  return { status, body, etag, headers };
}

/** Bodies smaller than this are not worth compressing. */
const GZIP_MIN_BYTES = 1024;

/** Adds a gzip form of the body: compressed once per load, not once per request. */
export async function withGzip(answer: CachedAnswer): Promise<CachedAnswer> {
  if (answer.body.length < GZIP_MIN_BYTES) return answer;
  return { ...answer, gzip: await gzipAsync(answer.body, { level: 6 }) };
}

/** Failures for which a stale answer beats an error: the archive is unreachable or failing. */
function isOutageError(err: unknown): boolean {
  return err instanceof GatewayError && err.status >= 502 && err.status <= 504;
}

export class MetadataCache {
  private readonly lru: LRUCache<string, Entry, { scope: string; load: Loader }>;
  private readonly keysByScope = new Map<string, Set<string>>();
  private readonly counters = { hits: 0, misses: 0, stale: 0, staleIfError: 0, evictions: 0 };

  constructor(private readonly config: GatewayConfig['cache']) {
    this.lru = new LRUCache<string, Entry, { scope: string; load: Loader }>({
      maxSize: config.maxBytes,
      sizeCalculation: (entry, key) => entry.answer.body.length + (entry.answer.gzip?.length ?? 0) + key.length + 256,
      // Entries outlive their TTL by the longest stale window; freshness is judged in get().
      ttl: config.ttlMs + Math.max(config.staleWhileRevalidateMs, config.staleIfErrorMs),
      fetchMethod: async (_key, _stale, { context }) => ({
        answer: await context.load(),
        scope: context.scope,
        freshUntil: Date.now() + config.ttlMs,
      }),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') this.counters.evictions++;
        this.unindex(entry.scope, key);
      },
      // Failures are never cached, and a failed refresh keeps the previous answer for stale-if-error.
      allowStaleOnFetchRejection: false,
      noDeleteOnFetchRejection: true,
    });
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Returns the cached answer for `key`, loading it (once, shared) when absent or expired. */
  async get(key: string, scope: string, load: Loader): Promise<{ answer: CachedAnswer; outcome: CacheOutcome }> {
    if (!this.config.enabled) return { answer: await load(), outcome: 'BYPASS' };
    const now = Date.now();
    const cached = this.lru.get(key);
    if (cached && now < cached.freshUntil) {
      this.counters.hits++;
      return { answer: cached.answer, outcome: 'HIT' };
    }
    if (cached && now < cached.freshUntil + this.config.staleWhileRevalidateMs) {
      this.counters.stale++;
      // Stale-while-revalidate: answer now, refresh once in the background.
      void this.lru.fetch(key, { context: { scope, load }, forceRefresh: true }).catch(() => undefined);
      return { answer: cached.answer, outcome: 'STALE' };
    }
    return this.loadFresh(key, scope, load, cached, now);
  }

  private async loadFresh(key: string, scope: string, load: Loader, cached: Entry | undefined, now: number) {
    try {
      const entry = await this.lru.fetch(key, { context: { scope, load }, forceRefresh: cached !== undefined });
      if (!entry) return { answer: await load(), outcome: 'BYPASS' as const };
      this.index(scope, key);
      this.counters.misses++;
      return { answer: entry.answer, outcome: 'MISS' as const };
    } catch (err) {
      // Stale-if-error: while the archive is down, what a viewer already saw beats an error page.
      if (cached && isOutageError(err) && now < cached.freshUntil + this.config.staleIfErrorMs) {
        this.counters.staleIfError++;
        return { answer: cached.answer, outcome: 'STALE-IF-ERROR' as const };
      }
      throw err;
    }
  }

  /** Drops every entry that depends on `studyUid`, and all cross-study entries. */
  invalidateStudy(studyUid: string): number {
    let dropped = 0;
    for (const scope of [studyUid, GLOBAL_SCOPE]) {
      for (const key of [...(this.keysByScope.get(scope) ?? [])]) {
        if (this.lru.delete(key)) dropped++;
      }
      this.keysByScope.delete(scope);
    }
    return dropped;
  }

  clear(): void {
    this.lru.clear();
    this.keysByScope.clear();
  }

  stats(): CacheStats {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize, maxBytes: this.config.maxBytes, ...this.counters };
  }

  private index(scope: string, key: string): void {
    let keys = this.keysByScope.get(scope);
    if (!keys) this.keysByScope.set(scope, (keys = new Set()));
    keys.add(key);
  }

  private unindex(scope: string, key: string): void {
    const keys = this.keysByScope.get(scope);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.keysByScope.delete(scope);
  }
}
