/**
 * Frames of instances the edge cache holds (src/edge, filled by prefetch jobs
 * or a series read-ahead), read from the edge's own file: no copy into the
 * instance store. An edge file never changes (a replaced instance gets a new
 * file), so its frame index is made once and kept in memory by file. Deflated
 * instances, whose frames need the file inflated in place, and instances still
 * being downloaded go through the instance store instead (service.ts).
 */
import { LRUCache } from 'lru-cache';
import type { DiskEntry } from '../../../cache/disk-lru.js';
import type { InstanceUids } from '../../../cache/instance-store.js';
import { DEFLATED_EXPLICIT_VR_LE } from '../../../dicom/transfer-syntax.js';
import type { EdgeCache } from '../../../edge/types.js';
import { describeUnchanged, type InstanceSummary } from './frame-index.js';

/** Frame indexes kept (a few hundred bytes each, more for multi-frame instances). */
const INDEXES_KEPT = 20_000;

export class EdgeFrameSource {
  private readonly indexes = new LRUCache<string, InstanceSummary>({ max: INDEXES_KEPT });
  private readonly indexing = new Map<string, Promise<InstanceSummary>>();

  constructor(private readonly edge: EdgeCache) {}

  /** The instance's edge file with its frame index, when the edge holds it intact now; undefined otherwise. */
  async entry(uids: InstanceUids): Promise<DiskEntry<InstanceSummary> | undefined> {
    const held = await this.edge.getInstance(uids);
    if (!held || held.transferSyntax === DEFLATED_EXPLICIT_VR_LE) return undefined;
    return { path: held.path, size: held.size, meta: await this.index(held.path, held.size) };
  }

  /** Concurrent first requests for one file share one indexing. */
  private index(file: string, size: number): Promise<InstanceSummary> {
    const known = this.indexes.get(file);
    if (known) return Promise.resolve(known);
    let running = this.indexing.get(file);
    if (!running) {
      running = describeUnchanged(file, size)
        .then((summary) => {
          this.indexes.set(file, summary);
          return summary;
        })
        .finally(() => this.indexing.delete(file));
      this.indexing.set(file, running);
    }
    return running;
  }
}
