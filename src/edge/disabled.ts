/**
 * The edge cache when edge.enabled is false: holds nothing, so WADO-RS always
 * asks the archive, and a prefetch that tries to store gets a clear error.
 */
import { EdgeDisabledError } from './errors.js';
import type { EdgeCache, EdgeStats } from './types.js';

export function disabledEdgeCache(maxBytes: number): EdgeCache {
  const refuse = async (): Promise<never> => {
    throw new EdgeDisabledError();
  };
  const stats: EdgeStats = { studies: 0, instances: 0, bytes: 0, maxBytes, hits: 0, misses: 0, downloads: 0, instanceRequests: 0, seriesRequests: 0, evictions: 0, corrupt: 0, inFlight: 0 };
  return {
    enabled: false,
    fetchInstance: refuse,
    fetchSeries: refuse,
    putStudyMetadata: refuse,
    markStudyComplete: refuse,
    getInstance: async () => undefined,
    getStudyMetadata: async () => undefined,
    studySummary: async () => undefined,
    listInstances: async () => [],
    invalidateStudy: async () => undefined,
    completeInstances: async () => undefined,
    arrivingInstances: async () => undefined,
    holds: async () => false,
    copyInstanceTo: async () => false,
    pinStudy: () => () => undefined,
    stats: () => ({ ...stats }),
    close: async () => undefined,
  };
}
