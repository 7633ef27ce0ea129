/**
 * WADO-RS metadata (PS3.18 §10.4.1.1.2) from the study metadata the edge keeps:
 * series- and instance-level answers are the study's items filtered on
 * SeriesInstanceUID / SOPInstanceUID, as the archive would have answered them.
 * Served when the study is complete in the edge, or, whatever its state, when
 * the archive fails. The caller rewrites BulkDataURIs to the gateway.
 */
import { parseStudyMetadata, selectItems } from './metadata-items.js';
import type { EdgeCache } from './types.js';

export interface EdgeMetadataRequest {
  study: string;
  series?: string;
  instance?: string;
  /** Only from a study marked complete (the archive is fine, but need not be asked). */
  requireComplete: boolean;
}

/** The DICOM JSON items, or undefined when the edge has none for this resource (or cannot read it: the archive then answers). */
export async function metadataFromEdge(edge: EdgeCache, req: EdgeMetadataRequest): Promise<unknown[] | undefined> {
  if (!edge.enabled) return undefined;
  try {
    if (req.requireComplete && !(await edge.studySummary(req.study))?.complete) return undefined;
    const json = await edge.getStudyMetadata(req.study);
    if (!json) return undefined;
    const items = selectItems(parseStudyMetadata(json), req.series, req.instance);
    return items.length > 0 ? items : undefined;
  } catch {
    return undefined; // an edge that cannot start or read (its own errors are logged where they happen)
  }
}
