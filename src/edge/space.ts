/**
 * The edge cache's byte bound: totals kept in memory (loaded from the index at
 * start), room made before a file enters by evicting least recently used
 * studies whole, and the studies that must not be evicted right now (being
 * downloaded into, or being served). Admissions run one at a time, so two
 * downloads finishing together cannot both count on the same free bytes.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { EdgeFullError, EdgeInstanceTooLargeError } from './errors.js';
import type { EdgeFiles } from './files.js';
import type { EdgeRepository, EdgeTotals } from './repository.js';

export class EdgeSpace {
  totals: EdgeTotals = { studies: 0, instances: 0, bytes: 0, lastAccess: 0 };
  evictions = 0;
  /** Downloads and readers per study: such studies are never evicted. */
  private readonly busy = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Studies whose access was recorded in the last second: a stack of frames read from one study costs one index write a second, not one per image. */
  private readonly accessedRecently = new LRUCache<string, true>({ max: 10_000, ttl: 1000 });

  constructor(
    readonly maxBytes: number,
    private readonly repo: EdgeRepository,
    private readonly files: EdgeFiles,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    this.totals = await this.repo.totals();
  }

  /** True when an access to the study should be recorded now (least-recently-used order is kept to the second). */
  accessDue(study: string): boolean {
    if (this.accessedRecently.has(study)) return false;
    this.accessedRecently.set(study, true);
    return true;
  }

  /** A strictly increasing access stamp in milliseconds (two touches in one millisecond still order). */
  stamp(): number {
    this.totals.lastAccess = Math.max(Date.now(), this.totals.lastAccess + 1);
    return this.totals.lastAccess;
  }

  /** Marks a study busy until the returned function is called (once). */
  hold(study: string): () => void {
    this.busy.set(study, (this.busy.get(study) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.busy.get(study) ?? 1) - 1;
      if (left <= 0) this.busy.delete(study);
      else this.busy.set(study, left);
    };
  }

  isBusy(study: string): boolean {
    return this.busy.has(study);
  }

  /** Runs `work` after every admission before it (one at a time). */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Evicts least recently used studies (never `study`, never a busy one) until `size` more bytes fit. Call inside serially(). */
  async makeRoom(size: number, study: string): Promise<void> {
    if (size > this.maxBytes) throw new EdgeInstanceTooLargeError(this.maxBytes);
    while (this.totals.bytes + size > this.maxBytes) {
      const candidates = await this.repo.leastRecentlyUsed(this.busy.size + 2);
      const victim = candidates.find((c) => c.study !== study && !this.busy.has(c.study));
      if (!victim) throw new EdgeFullError(size, this.maxBytes);
      await this.evict(victim.study, 'least recently used');
    }
  }

  /** Removes a whole study (index rows first, then its files). */
  async evict(study: string, reason: string): Promise<void> {
    const deleted = await this.repo.deleteStudy(study);
    if (!deleted) return;
    this.totals.studies--;
    this.totals.instances -= deleted.instances;
    this.totals.bytes -= deleted.bytes;
    this.evictions++;
    for (const file of deleted.files) await this.files.remove(file).catch((err: unknown) => this.log.warn({ err, file }, 'edge file could not be removed'));
    this.log.info({ study, instances: deleted.instances, bytes: deleted.bytes, reason }, 'study evicted from the edge cache');
  }

  /** Accounts for a file that entered (bytes > 0) or left (bytes < 0). */
  count(change: { bytes: number; instances?: number; studies?: number }): void {
    this.totals.bytes += change.bytes;
    this.totals.instances += change.instances ?? 0;
    this.totals.studies += change.studies ?? 0;
  }
}
