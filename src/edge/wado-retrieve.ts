/**
 * When WADO-RS retrieve (PS3.18 §10.4.1.1.1) is answered from the edge cache
 * instead of the archive:
 * - an instance the edge holds (or is downloading) whose stored transfer syntax
 *   is what the client accepts (`*` = as stored, §8.7.3.5.2, or the same UID);
 * - a series or study all of whose instances (per the stored metadata) the edge
 *   holds, a study only once marked complete, and the archive (when it can be
 *   asked) still counts as many;
 * - while a prefetch downloads the study, with `transfer-syntax=*`: the
 *   instances as they arrive, sharing those downloads (no second full fetch).
 * The edge never transcodes: a stored syntax the client did not accept is
 * reported (`incompatible`) so that an outage error can say what would work.
 */
import type { EdgeCache, EdgeInstance, InstanceUids } from './types.js';
import type { SlabPool } from '../http/slab-pool.js';
import { edgeMultipart, type EdgeMultipart } from './multipart-body.js';

export interface EdgeRetrieveRequest {
  study: string;
  series?: string;
  instance?: string;
  /** Negotiated transfer syntax UID, or '*'. */
  transferSyntax: string;
  signal: AbortSignal;
  /** Also serve a study while its prefetch is filling it (not when the archive already failed). */
  whileArriving: boolean;
  /** Where the files are read into (reused once written to the client). */
  slabs: SlabPool;
  /**
   * For a whole series or study the edge holds: whether the archive still holds
   * as many instances (archive-check.ts); false makes the edge step aside.
   * Not asked for an instance (SOP instances are immutable) nor while a
   * prefetch fills the study (its metadata was just read).
   */
  confirm?: (held: readonly EdgeInstance[]) => Promise<boolean>;
}

export type EdgeRetrieval =
  | { kind: 'answer'; answer: EdgeMultipart }
  /** The edge holds it, but only in these transfer syntaxes. */
  | { kind: 'incompatible'; storedAs: string[] };

function accepts(transferSyntax: string, instance: EdgeInstance): boolean {
  return transferSyntax === '*' || transferSyntax === instance.transferSyntax;
}

function answerOf(edge: EdgeCache, req: EdgeRetrieveRequest, instances: EdgeInstance[]): EdgeRetrieval {
  const refused = instances.filter((i) => !accepts(req.transferSyntax, i));
  if (refused.length > 0) return { kind: 'incompatible', storedAs: [...new Set(refused.map((i) => i.transferSyntax))] };
  return { kind: 'answer', answer: edgeMultipart(instances, req.transferSyntax, edge.pinStudy(req.study), req.slabs) };
}

async function instanceFromEdge(edge: EdgeCache, req: EdgeRetrieveRequest): Promise<EdgeRetrieval | undefined> {
  const uids = { study: req.study, series: req.series!, instance: req.instance! };
  let held = await edge.getInstance(uids);
  // Being downloaded (a prefetch is at it): wait for that download rather than start another.
  if (!held && req.whileArriving && (await edge.holds(uids))) held = await edge.fetchInstance(uids, req.signal);
  return held ? answerOf(edge, req, [held]) : undefined;
}

/** Yields the instances in order, each as soon as it is in the edge. */
async function* arriving(edge: EdgeCache, uids: InstanceUids[], signal: AbortSignal): AsyncGenerator<EdgeInstance> {
  for (const u of uids) yield await edge.fetchInstance(u, signal);
}

export async function retrieveFromEdge(edge: EdgeCache, req: EdgeRetrieveRequest): Promise<EdgeRetrieval | undefined> {
  if (!edge.enabled) return undefined;
  if (req.instance) return instanceFromEdge(edge, req);
  const held = await edge.completeInstances(req.study, req.series);
  if (held) return !req.confirm || (await req.confirm(held)) ? answerOf(edge, req, held) : undefined;
  if (!req.whileArriving || req.transferSyntax !== '*') return undefined;
  const listed = await edge.arrivingInstances(req.study, req.series);
  if (!listed) return undefined;
  return { kind: 'answer', answer: edgeMultipart(arriving(edge, listed, req.signal), req.transferSyntax, edge.pinStudy(req.study), req.slabs) };
}
