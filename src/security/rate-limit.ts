/**
 * Rate limiting per client identity: a token bucket per principal (token
 * subject, API key id) or, for anonymous callers and failed authentications,
 * per client address. Buckets live in a bounded LRU, so a flood of identities
 * cannot exhaust memory.
 */
import { LRUCache } from 'lru-cache';

export interface Rate {
  requestsPerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new LRUCache<string, Bucket>({ max: 100_000 });

  constructor(private readonly defaults: Rate, private readonly now: () => number = () => performance.now()) {}

  /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
  take(key: string, rate: Rate = this.defaults): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rate.burst, updated: now };
    bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.updated) / 1000) * rate.requestsPerSecond);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate.requestsPerSecond));
  }
}
