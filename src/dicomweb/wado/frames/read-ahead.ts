/**
 * Series read-ahead for frame requests (PS3.18 §10.4.1.1.6). A viewer loading a
 * stack asks for frame 1 of every instance of a series, one request each; the
 * archive answers each of them separately (Orthanc: about 870 a second, one
 * file read and one HTTP exchange each). Once frames of a few different
 * instances of one series were asked for, the gateway reads the whole series
 * into the edge cache with one Series retrieve (§10.4.1.1.1, as stored), and
 * the frames of the instances that arrive are served from disk: one archive
 * request per series instead of one per image, and the rest of the stack
 * without waiting for the archive. A single frame (a thumbnail, say) never
 * starts one. Read-aheads are bounded in number and series size, run in the
 * background, and their failures only cost the frames the archive answers.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { EdgeCache, InstanceUids } from '../../../edge/types.js';
import type { UpstreamClient } from '../../../upstream/client.js';

export interface ReadAheadOptions {
  /** Different instances of a series asked for (within `windowMs`) that start its read-ahead; 0 = never. */
  afterInstances: number;
  /** Read-aheads running at once; a series asked for meanwhile is not read ahead. */
  concurrency: number;
  /** Series with more instances are not read ahead. */
  maxInstances: number;
}

export interface ReadAheadStats {
  started: number;
  completed: number;
  failed: number;
  skippedTooLarge: number;
  running: number;
}

const WINDOW_MS = 60_000;
/** A series read ahead (or found too large, or failed) is not read ahead again for this long. */
const REMEMBER_MS = 10 * 60_000;
const SERIES_REMEMBERED = 10_000;

type JsonRow = Record<string, { Value?: unknown[] } | undefined>;

export class SeriesReadAhead {
  private readonly asked = new LRUCache<string, Set<string>>({ max: SERIES_REMEMBERED, ttl: WINDOW_MS });
  private readonly handled = new LRUCache<string, true>({ max: SERIES_REMEMBERED, ttl: REMEMBER_MS });
  private readonly counts: Omit<ReadAheadStats, 'running'> = { started: 0, completed: 0, failed: 0, skippedTooLarge: 0 };
  private readonly running = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly edge: EdgeCache,
    private readonly upstream: UpstreamClient,
    private readonly options: ReadAheadOptions,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.edge.enabled && this.options.afterInstances > 0;
  }

  /** Notes a frame request none of the gateway's stores could answer; may start the series' read-ahead. */
  note(uids: InstanceUids): void {
    if (!this.enabled || this.closing.signal.aborted) return;
    const key = `${uids.study}/${uids.series}`;
    if (this.handled.has(key)) return;
    const instances = this.asked.get(key) ?? new Set<string>();
    instances.add(uids.instance);
    this.asked.set(key, instances);
    if (instances.size < this.options.afterInstances || this.running.size >= this.options.concurrency) return;
    this.handled.set(key, true);
    this.asked.delete(key);
    const run = this.readSeries(uids.study, uids.series).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  stats(): ReadAheadStats {
    return { ...this.counts, running: this.running.size };
  }

  /** Ends running read-aheads (what they stored stays). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.running]);
  }

  private async readSeries(study: string, series: string): Promise<void> {
    const signal = this.closing.signal;
    try {
      const listed = await this.listInstances(study, series, signal);
      if (listed.length > this.options.maxInstances) {
        this.counts.skippedTooLarge++;
        return;
      }
      // One index query for what the edge holds already; instances being downloaded are skipped by fetchSeries itself.
      const held = new Set((await this.edge.listInstances(study, series)).map((i) => i.instance));
      const expected = listed.filter((uids) => !held.has(uids.instance));
      if (expected.length === 0) return;
      this.counts.started++;
      const result = await this.edge.fetchSeries(study, series, expected, { signal });
      if (result.error) throw result.error;
      this.counts.completed++;
      this.log.debug({ study, series, stored: result.stored.length }, 'series read ahead into the edge cache');
    } catch (err) {
      if (signal.aborted) return;
      this.counts.failed++;
      this.log.info({ err, study, series }, 'series read-ahead failed; its frames are asked from the archive one by one');
    }
  }

  /** The series' instances, from the archive (QIDO-RS, PS3.18 §10.6). */
  private async listInstances(study: string, series: string, signal: AbortSignal): Promise<InstanceUids[]> {
    const rows = await this.upstream.getJson(`/studies/${study}/series/${series}/instances`, 'includefield=00080018', signal);
    if (!Array.isArray(rows)) return [];
    return (rows as JsonRow[]).flatMap((row) => {
      const instance = row['00080018']?.Value?.[0];
      return typeof instance === 'string' ? [{ study, series, instance }] : [];
    });
  }
}
