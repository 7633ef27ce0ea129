/**
 * The edge cache as its users see it (prefetch jobs, WADO-RS): instances kept on
 * disk as the archive stores them, checksummed, bounded by bytes with least
 * recently used studies evicted, indexed in the state database so that it
 * survives a restart. WADO-RS serves from it without asking the archive, so a
 * remote site keeps reading prefetched studies while the PACS link is down.
 * Implemented in src/edge/ (createEdgeCache); callers depend on this interface.
 */
export interface InstanceUids {
  study: string;
  series: string;
  instance: string;
}

export interface EdgeInstance extends InstanceUids {
  /** Absolute path of the Part 10 file (readable while open even if evicted meanwhile). */
  path: string;
  size: number;
  /** Hex SHA-256 of the file, computed while it was written. */
  sha256: string;
  /** Transfer Syntax UID of the file (its File Meta). */
  transferSyntax: string;
  sopClass: string;
}

export interface EdgeStudySummary {
  study: string;
  /** True once a prefetch fetched every instance the study's metadata lists (and nothing changed it since). */
  complete: boolean;
  instances: number;
  bytes: number;
  /** ISO 8601 of the last store into it. */
  updatedAt: string;
}

export interface SeriesFetchOptions {
  signal?: AbortSignal;
  /** Called as each instance of the series answer is in the edge (awaited before the next part is read). */
  onStored?: (instance: EdgeInstance) => Promise<void> | void;
}

export interface SeriesFetch {
  /** Instances stored from the series answer, in the order they came. */
  stored: EdgeInstance[];
  /** Instances asked for that it did not store (not in the answer, the answer broke off, or another download had them): fetch these with fetchInstance(). */
  remaining: InstanceUids[];
  /** Why the answer ended early (a typed archive or edge error), if it did. */
  error?: unknown;
}

export interface EdgeCache {
  readonly enabled: boolean;
  /**
   * The instance from the edge cache, or downloaded from the archive as stored
   * (transfer-syntax=*) into it now. Concurrent callers for one instance share
   * one download (a viewer asking while a prefetch fetches it waits for that
   * download instead of starting another). Rejects with the upstream's typed
   * errors (UpstreamFailureError, NotFoundError) when the archive fails.
   */
  fetchInstance(uids: InstanceUids, signal?: AbortSignal): Promise<EdgeInstance>;
  /**
   * Downloads a whole series from the archive in one request (PS3.18
   * §10.4.1.1.1 Series resource, as stored) and stores the instances of
   * `expected` it brings, with the same checks and index rows as
   * fetchInstance(). The answer holds every instance of the series: parts of
   * instances not in `expected` (held already, say) are downloaded and dropped,
   * so use it when the edge holds few of the series. While it runs,
   * fetchInstance() of an expected instance waits for its part (and fetches it
   * alone if the answer does not bring it). Archive failures do not reject: what
   * was fully written is kept and the rest is in `remaining`. Rejects on abort.
   */
  fetchSeries(study: string, series: string, expected: InstanceUids[], options?: SeriesFetchOptions): Promise<SeriesFetch>;
  /** The instance when present and intact (checksum per edge.verify), without asking the archive. */
  getInstance(uids: InstanceUids): Promise<EdgeInstance | undefined>;
  /** Keeps the study's WADO-RS metadata (DICOM JSON array, as the archive answered it) beside its instances. */
  putStudyMetadata(studyUid: string, metadataJson: Buffer): Promise<void>;
  getStudyMetadata(studyUid: string): Promise<Buffer | undefined>;
  /** Marks the study complete (every instance of its metadata is in the cache). */
  markStudyComplete(studyUid: string): Promise<void>;
  studySummary(studyUid: string): Promise<EdgeStudySummary | undefined>;
  /** Instances of one study (or one series of it) that are in the cache. */
  listInstances(studyUid: string, seriesUid?: string): Promise<EdgeInstance[]>;
  /** Drops the study's metadata and completeness (its instances stay: SOP instances are immutable). */
  invalidateStudy(studyUid: string): Promise<void>;
  stats(): EdgeStats;
  close(): Promise<void>;

  // What WADO-RS needs to serve from the edge (src/dicomweb/wado, src/cache/instance-store.ts).

  /**
   * Every instance of the study (or of one series), checked per edge.verify, in
   * the order of the stored metadata, when the edge holds all that the metadata
   * lists (a study must also be marked complete); undefined otherwise.
   */
  completeInstances(studyUid: string, seriesUid?: string): Promise<EdgeInstance[] | undefined>;
  /**
   * While downloads into the study run (a prefetch is filling it): the instances
   * its stored metadata lists (of one series, if given), those already held
   * first. Fetching them shares the running downloads. Undefined otherwise.
   */
  arrivingInstances(studyUid: string, seriesUid?: string): Promise<InstanceUids[] | undefined>;
  /**
   * True when fetchInstance() is the way to get this instance: it is in the edge,
   * being downloaded into it, or listed by the metadata of a study being filled
   * (or of a complete one that lost it to a damaged file).
   */
  holds(uids: InstanceUids): Promise<boolean>;
  /** Copies the instance (waiting for a running download) to `dest`, a file the caller owns; false when the edge does not hold it. */
  copyInstanceTo(uids: InstanceUids, dest: string, signal?: AbortSignal): Promise<boolean>;
  /** Protects a study from eviction while it is being served; call the result when done. */
  pinStudy(studyUid: string): () => void;
}

export interface EdgeStats {
  studies: number;
  instances: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  /** Instances downloaded into the edge (one request each, or parts of a series answer). */
  downloads: number;
  /** Archive requests for one instance. */
  instanceRequests: number;
  /** Archive requests for a whole series. */
  seriesRequests: number;
  evictions: number;
  corrupt: number;
  /** Downloads running now. */
  inFlight: number;
}
