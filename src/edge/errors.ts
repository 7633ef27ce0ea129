/**
 * Typed errors of the edge cache. They are GatewayErrors, so that one reaching
 * a client becomes a readable problem+json answer instead of a 500; WADO-RS
 * falls back to the archive before that happens.
 */
import { GatewayError } from '../http/errors.js';

/** One instance is larger than the whole edge cache (edge.maxBytes). */
export class EdgeInstanceTooLargeError extends GatewayError {
  constructor(readonly maxBytes: number) {
    super(507, 'EDGE_INSTANCE_TOO_LARGE', 'Edge cache too small', `The instance is larger than the whole edge cache (edge.maxBytes = ${maxBytes} bytes), so it cannot be kept for offline reading.`);
  }
}

/** Room for a new file cannot be made: what fills the cache belongs to studies being written or read now. */
export class EdgeFullError extends GatewayError {
  constructor(needed: number, maxBytes: number) {
    super(507, 'EDGE_FULL', 'Edge cache full', `The edge cache (edge.maxBytes = ${maxBytes} bytes) cannot make room for ${needed} more bytes: everything in it belongs to studies being fetched or served right now.`);
  }
}

/** The archive sent something for an instance that is not that instance as a DICOM Part 10 file. */
export class EdgeBadInstanceError extends GatewayError {
  constructor(upstream: string, detail: string) {
    super(502, 'UPSTREAM_BAD_RESPONSE', 'Image archive error', `The image archive "${upstream}" ${detail}`, { upstream });
  }
}

/**
 * A series answer ended without the part of an instance a caller was waiting
 * for (not in it, or the answer broke off first). fetchInstance() then fetches
 * the instance on its own; `cause` is the series download's failure, if any.
 */
export class EdgeSeriesPartMissingError extends GatewayError {
  constructor(upstream: string, instance: string, cause?: unknown) {
    super(502, 'EDGE_SERIES_PART_MISSING', 'Image archive error', `The series answer of the image archive "${upstream}" did not bring instance ${instance}.`, { upstream });
    if (cause !== undefined) this.cause = cause;
  }
}

/** Metadata handed to putStudyMetadata is not a DICOM JSON array (PS3.18 §F.2). */
export class EdgeMetadataError extends GatewayError {
  constructor(detail: string) {
    super(502, 'EDGE_BAD_METADATA', 'Unusable study metadata', detail);
  }
}

export class EdgeDisabledError extends GatewayError {
  constructor() {
    super(503, 'EDGE_DISABLED', 'Edge cache disabled', 'The edge cache is disabled (edge.enabled = false): nothing is kept for offline reading.');
  }
}

export class EdgeClosedError extends GatewayError {
  constructor() {
    super(503, 'EDGE_CLOSED', 'Gateway shutting down', 'The edge cache is closed: the gateway is shutting down.');
  }
}
