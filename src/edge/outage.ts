/**
 * Which archive failures the edge cache answers instead (502/503/504: the
 * archive unreachable, failing, timing out, or its circuit open), and the hint
 * added to such an error when the edge holds the resource in a transfer syntax
 * the client did not accept (the edge never transcodes), or does not hold it.
 */
import { GatewayError } from '../http/errors.js';

const OUTAGE_STATUSES = new Set([502, 503, 504]);

export function isArchiveOutage(err: unknown): err is GatewayError {
  return err instanceof GatewayError && OUTAGE_STATUSES.has(err.status) && !err.code.startsWith('EDGE_');
}

export function withEdgeHint(err: GatewayError, storedAs: string[]): GatewayError {
  const hint = ` The gateway's edge cache holds what was asked for, but only as stored (transfer syntax ${storedAs.join(', ')}): ask with transfer-syntax=* to read it while the archive is unavailable.`;
  return new GatewayError(err.status, err.code, err.title, err.detail + hint, { ...err.extras, edgeTransferSyntaxes: storedAs });
}

/** For an outage answer about something the edge does not hold: says how it could have been read offline. */
export function withEdgeMissHint(err: GatewayError): GatewayError {
  const hint = " The gateway's edge cache does not hold it: only studies prefetched (POST /api/prefetch) while the archive was reachable can be read while it is down.";
  return new GatewayError(err.status, err.code, err.title, err.detail + hint, err.extras);
}
