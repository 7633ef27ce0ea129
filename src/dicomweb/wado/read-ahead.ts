/**
 * Series read-ahead into the edge cache, for the two ways a series is read
 * whole, one request at a time, from an archive that answers each alike:
 * - frames (PS3.18 §10.4.1.1.6): a viewer loading a stack asks for frame 1 of
 *   every instance, one request each (Orthanc: about 870 a second, one file
 *   read and one HTTP exchange each). Once frames of a few different instances
 *   of one series were asked for (`afterInstances`), the series is read ahead
 *   and the frames of the instances that arrive are served from disk. A single
 *   frame (a thumbnail, say) never starts one.
 * - series retrieves (§10.4.1.1.1): a series that several readers or pipelines
 *   pull (`afterRetrieves` times within ten minutes) is read into the edge once,
 *   and the next retrieves are answered from disk (src/edge/wado-retrieve.ts)
 *   without the archive.
 * Either way it is one Series retrieve, as stored, in the background. Read-aheads
 * are bounded in number and series size, and their failures only cost what the
 * archive then answers itself.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { EdgeCache, InstanceUids } from '../../edge/types.js';
import type { UpstreamClient } from '../../upstream/client.js';
import type { GatewayServices } from '../../services.js';
import { listedInstances, parseStudyMetadata } from '../../edge/metadata-items.js';
import { archiveInstanceUids } from '../../edge/archive-check.js';

export interface ReadAheadOptions {
  /** Different instances of a series whose frames were asked for (within a minute) that start its read-ahead; 0 = never. */
  afterInstances: number;
  /** Retrieves of a series the archive answered (within ten minutes) that start its read-ahead; 0 = never. */
  afterRetrieves: number;
  /** Read-aheads running at once; a series that reaches its trigger meanwhile is read ahead when it is asked for again. */
  concurrency: number;
  /** Series with more instances are not read ahead. */
  maxInstances: number;
}

export interface ReadAheadStats {
  started: number;
  /** Of those, started because the series was retrieved again and again (the others: frames). */
  startedByRetrieves: number;
  completed: number;
  failed: number;
  skippedTooLarge: number;
  running: number;
}

const FRAMES_WINDOW_MS = 60_000;
const RETRIEVES_WINDOW_MS = 10 * 60_000;
/** A series read ahead (or found too large, or failed) is not read ahead again for this long. */
const REMEMBER_MS = 10 * 60_000;
const SERIES_REMEMBERED = 10_000;

/**
 * Per-series memories that a change of the study wipes in one step (forgetStudy
 * runs on every STOW-RS into a study: scanning up to 30,000 keys there would
 * cost about a millisecond per request). Each entry keeps the sequence number it
 * was written at; a study's forget mark hides the entries older than it.
 */
class ForgetMarks {
  private sequence = 0;
  private readonly marks = new LRUCache<string, number>({ max: SERIES_REMEMBERED, ttl: REMEMBER_MS });

  next(): number {
    return ++this.sequence;
  }

  forget(study: string): void {
    this.marks.set(study, this.next());
  }

  hides(study: string, at: number): boolean {
    return at < (this.marks.get(study) ?? 0);
  }
}

class SeriesMemory<V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, { at: number; value: V }>;

  constructor(ttl: number, private readonly marks: ForgetMarks) {
    this.entries = new LRUCache({ max: SERIES_REMEMBERED, ttl });
  }

  get(study: string, series: string): V | undefined {
    const entry = this.entries.get(`${study}/${series}`);
    return entry && !this.marks.hides(study, entry.at) ? entry.value : undefined;
  }

  set(study: string, series: string, value: V): void {
    this.entries.set(`${study}/${series}`, { at: this.marks.next(), value });
  }

  delete(study: string, series: string): void {
    this.entries.delete(`${study}/${series}`);
  }
}

/** Where a read-ahead learns the series' instances: a QIDO search (frames), or the study's metadata (retrieves, so that the edge can answer them whole). */
type Listing = 'search' | 'metadata';

export class SeriesReadAhead {
  private readonly marks = new ForgetMarks();
  /** Per series: the instances whose frames were asked for. */
  private readonly asked = new SeriesMemory<Set<string>>(FRAMES_WINDOW_MS, this.marks);
  /** Per series: how often the archive answered a retrieve of it. */
  private readonly retrieved = new SeriesMemory<number>(RETRIEVES_WINDOW_MS, this.marks);
  /** Series read ahead (or found too large, or failed) lately. */
  private readonly handled = new SeriesMemory<true>(REMEMBER_MS, this.marks);
  private readonly counts: Omit<ReadAheadStats, 'running'> = { started: 0, startedByRetrieves: 0, completed: 0, failed: 0, skippedTooLarge: 0 };
  private readonly running = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly edge: EdgeCache,
    private readonly upstream: UpstreamClient,
    private readonly options: ReadAheadOptions,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.edge.enabled && (this.options.afterInstances > 0 || this.options.afterRetrieves > 0);
  }

  /** Notes a frame request none of the gateway's stores could answer; may start the series' read-ahead. */
  noteFrame(uids: InstanceUids): void {
    const { study, series } = uids;
    if (!this.open(study, series, this.options.afterInstances)) return;
    const instances = this.asked.get(study, series) ?? new Set<string>();
    instances.add(uids.instance);
    this.asked.set(study, series, instances);
    if (instances.size < this.options.afterInstances || !this.start(study, series, 'search')) return;
    this.asked.delete(study, series);
  }

  /** Notes a series retrieve the archive answered (the edge could not); may start the series' read-ahead. */
  noteRetrieve(study: string, series: string): void {
    if (!this.open(study, series, this.options.afterRetrieves)) return;
    const count = (this.retrieved.get(study, series) ?? 0) + 1;
    this.retrieved.set(study, series, count);
    if (count < this.options.afterRetrieves || !this.start(study, series, 'metadata')) return;
    this.retrieved.delete(study, series);
    this.counts.startedByRetrieves++;
  }

  /** Whether this trigger counts for the series at all. */
  private open(study: string, series: string, threshold: number): boolean {
    return this.edge.enabled && threshold > 0 && !this.closing.signal.aborted && !this.handled.get(study, series);
  }

  /** Starts the read-ahead unless as many as allowed are running (then the series is asked for again later). */
  private start(study: string, series: string, listing: Listing): boolean {
    if (this.running.size >= this.options.concurrency) return false;
    this.handled.set(study, series, true);
    const run = this.readSeries(study, series, listing).finally(() => this.running.delete(run));
    this.running.add(run);
    return true;
  }

  /** The study changed (a store through the gateway, or the archive found to hold other instances): its series may be read again at once. */
  forgetStudy(study: string): void {
    this.marks.forget(study);
  }

  stats(): ReadAheadStats {
    return { ...this.counts, running: this.running.size };
  }

  /** Ends running read-aheads (what they stored stays). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.running]);
  }

  private async readSeries(study: string, series: string, listing: Listing): Promise<void> {
    const signal = this.closing.signal;
    try {
      const listed = listing === 'metadata' ? await this.listFromMetadata(study, series, signal) : await this.listInstances(study, series, signal);
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
      this.log.info({ err, study, series }, 'series read-ahead failed; the archive goes on answering its frames and retrieves');
    }
  }

  /**
   * The series' instances per the study's metadata, which the edge keeps (from
   * the archive, PS3.18 §10.4.1.1.2, when it has none): a series retrieve is
   * answered from the edge only once every instance that metadata lists is there.
   */
  private async listFromMetadata(study: string, series: string, signal: AbortSignal): Promise<InstanceUids[]> {
    let json = await this.edge.getStudyMetadata(study);
    if (!json) {
      const items = await this.upstream.getJson(`/studies/${study}/metadata`, '', signal);
      if (!Array.isArray(items) || items.length === 0) return [];
      json = Buffer.from(JSON.stringify(items));
      await this.edge.putStudyMetadata(study, json);
    }
    return listedInstances(study, parseStudyMetadata(json)).filter((uids) => uids.series === series);
  }

  /** The series' instances, from the archive (QIDO-RS, PS3.18 §10.6). */
  private async listInstances(study: string, series: string, signal: AbortSignal): Promise<InstanceUids[]> {
    return (await archiveInstanceUids(this.upstream, { study, series }, signal)).map((instance) => ({ study, series, instance }));
  }
}

/** The gateway's series read-ahead; undefined when off (no edge cache, or both triggers 0). */
export function createReadAhead(services: GatewayServices): SeriesReadAhead | undefined {
  const { wado } = services.config;
  const readAhead = new SeriesReadAhead(services.edge, services.upstream, {
    afterInstances: wado.readAheadAfterInstances, afterRetrieves: wado.readAheadAfterRetrieves,
    concurrency: wado.readAheadConcurrency, maxInstances: wado.readAheadMaxInstances,
  }, services.logger);
  if (!readAhead.enabled) return undefined;
  services.onClose.push(() => readAhead.close());
  services.onStudyChanged.push((study) => readAhead.forgetStudy(study));
  services.statusSources.seriesReadAhead = () => readAhead.stats();
  services.metrics.addStatsGauges('series_read_ahead', 'Series read into the edge cache because a viewer loads their stack or clients retrieve them again and again', () => ({ ...readAhead.stats() }));
  return readAhead;
}
