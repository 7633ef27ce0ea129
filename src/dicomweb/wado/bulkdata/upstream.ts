/**
 * Bulk data relayed from the upstream (PS3.18 §10.4.1.1.5) at the same path
 * under its DICOMweb root, streaming. The test upstream answers multipart only
 * and ignores Range, so a single-part answer is cut out of its multipart, and a
 * Range is applied here by skipping and limiting the relayed bytes. Part headers
 * are rewritten to their Content-Type and Content-Length: nothing else of the
 * upstream's (its URLs) reaches the client.
 */
import { Readable } from 'node:stream';
import { parseMediaType } from '../../../http/accept.js';
import { NotFoundError, UpstreamFailureError } from '../../../http/errors.js';
import { boundaryOf, closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { multipartContentType } from '../../../http/retrieve-negotiation.js';
import type { InstanceUids } from '../../../cache/instance-store.js';
import { askAgainOnSocketDrop, discardBody } from '../../../upstream/body-errors.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import type { StreamAnswer } from '../frames/answer.js';
import { scanMultipart, type MultipartEvent } from '../../../http/multipart-scanner.js';
import { contentRange, resolveRange, type RangeRequest, type ResolvedRange } from './range.js';

export interface UpstreamBulkRequest {
  uids: InstanceUids;
  /** Validated: hex tags and item numbers separated by `/`. */
  path: string;
  multipart: boolean;
  range?: RangeRequest;
  signal: AbortSignal;
}

const OCTET_STREAM = 'application/octet-stream';
type PartEvent = Extract<MultipartEvent, { kind: 'part' }>;

function declaredLength(headers: Record<string, string>): number | undefined {
  const n = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Only a plain media type of the part passes; parameters other than transfer-syntax are dropped. */
function partType(headers: Record<string, string>): string {
  const media = parseMediaType(headers['content-type'] ?? '');
  if (!media) return OCTET_STREAM;
  const ts = media.params['transfer-syntax'];
  const essence = `${media.type}/${media.subtype}`;
  return ts && /^[0-9.]{1,64}$/.test(ts) ? `${essence}; transfer-syntax=${ts}` : essence;
}

async function* relayParts(events: AsyncIterator<MultipartEvent>, first: PartEvent, boundary: string): AsyncGenerator<Buffer> {
  try {
    yield* relayPartsFrom(events, first, boundary);
  } finally {
    await events.return?.(undefined); // a client that left, or an early end: release the upstream body
  }
}

async function* relayPartsFrom(events: AsyncIterator<MultipartEvent>, first: PartEvent, boundary: string): AsyncGenerator<Buffer> {
  for (let event: MultipartEvent | undefined = first; event; ) {
    if (event.kind === 'part') {
      const headers: Record<string, string> = { 'Content-Type': partType(event.headers) };
      const length = declaredLength(event.headers);
      if (length !== undefined) headers['Content-Length'] = String(length);
      yield partHeader(boundary, headers, event.index === 0);
    } else yield event.chunk;
    const next = await events.next();
    event = next.done ? undefined : next.value;
  }
  yield closingDelimiter(boundary);
}

/** The first part's bytes `range.start … range.end` (all of them without a range). */
async function* relayFirstPart(events: AsyncIterator<MultipartEvent>, range: ResolvedRange | undefined, upstreamName: string): AsyncGenerator<Buffer> {
  try {
    yield* firstPartBytes(events, range, upstreamName);
  } finally {
    await events.return?.(undefined);
  }
}

async function* firstPartBytes(events: AsyncIterator<MultipartEvent>, range: ResolvedRange | undefined, upstreamName: string): AsyncGenerator<Buffer> {
  let at = 0;
  for (let next = await events.next(); !next.done; next = await events.next()) {
    const event = next.value;
    if (event.kind === 'part') throw new UpstreamFailureError(upstreamName, 'sent several parts for a value asked as one part.', 502, 'UPSTREAM_BAD_RESPONSE');
    const from = range ? Math.max(0, range.start - at) : 0;
    const to = range ? Math.min(event.chunk.length, range.end + 1 - at) : event.chunk.length;
    at += event.chunk.length;
    if (to > from) yield event.chunk.subarray(from, to);
    // Past the range: stop here rather than read the rest of a large value (the upstream request is abandoned).
    if (range && at > range.end) return;
  }
}

function singlePart(events: AsyncIterator<MultipartEvent>, first: PartEvent, req: UpstreamBulkRequest, upstreamName: string): StreamAnswer {
  const total = declaredLength(first.headers);
  const headers: Record<string, string> = { 'Content-Type': OCTET_STREAM, 'Accept-Ranges': 'bytes' };
  // Without a declared length a Range cannot be answered exactly: the whole value is sent.
  const resolved = req.range && total !== undefined ? resolveRange(req.range, total) : undefined;
  if (resolved === 'unsatisfiable') {
    void events.return?.(undefined);
    return { status: 416, headers: { 'Content-Range': `bytes */${total}`, 'Content-Length': '0' }, body: Buffer.alloc(0), source: 'BYPASS' };
  }
  if (resolved) {
    headers['Content-Range'] = contentRange(resolved, total!);
    headers['Content-Length'] = String(resolved.end - resolved.start + 1);
  } else if (total !== undefined) headers['Content-Length'] = String(total);
  const body = Readable.from(relayFirstPart(events, resolved, upstreamName), { objectMode: false });
  return { status: resolved ? 206 : 200, headers, body, source: 'BYPASS' };
}

export async function bulkFromUpstream(upstream: UpstreamClient, req: UpstreamBulkRequest): Promise<StreamAnswer> {
  // Cut before the first part's headers: nothing was sent to the client yet, so ask again.
  return askAgainOnSocketDrop(() => attempt(upstream, req), req.signal, upstream.name);
}

async function attempt(upstream: UpstreamClient, req: UpstreamBulkRequest): Promise<StreamAnswer> {
  const { study, series, instance } = req.uids;
  const res = await upstream.request({
    path: `/studies/${study}/series/${series}/instances/${instance}/bulk/${req.path}`,
    headers: { accept: `multipart/related; type="${OCTET_STREAM}"` },
    signal: req.signal,
  });
  if (res.statusCode === 404) {
    await res.body.dump();
    throw new NotFoundError('The image archive has no such instance, or no bulk data value at this path in it.', 'BULKDATA_NOT_FOUND');
  }
  if (res.statusCode >= 400) throw await upstream.failure(res);
  const answerType = String(res.headers['content-type'] ?? '');
  const boundary = boundaryOf(answerType);
  if (!boundary) {
    discardBody(res.body);
    throw new UpstreamFailureError(upstream.name, `sent bulk data as "${answerType.slice(0, 80)}" instead of multipart/related.`, 502, 'UPSTREAM_BAD_RESPONSE');
  }
  const events = scanMultipart(res.body, boundary);
  const first = await events.next().catch((err: unknown) => {
    discardBody(res.body);
    throw err;
  });
  if (first.done || first.value.kind !== 'part') {
    throw new UpstreamFailureError(upstream.name, 'sent a bulk data answer without any part.', 502, 'UPSTREAM_BAD_RESPONSE');
  }
  if (!req.multipart) return singlePart(events, first.value, req, upstream.name);
  const out = newBoundary();
  const body = Readable.from(relayParts(events, first.value, out), { objectMode: false });
  return { status: 200, headers: { 'Content-Type': multipartContentType(OCTET_STREAM, out) }, body, source: 'BYPASS' };
}
