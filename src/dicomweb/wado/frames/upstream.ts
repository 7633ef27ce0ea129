/**
 * Frames relayed from the upstream as they arrive (PS3.18 §10.4.1.1.6), with
 * the part headers rewritten: the test upstream puts `transfer-syntax` inside
 * the quoted `type` value, labels parts with its own absolute URLs and sends
 * compressed frames as `image/jpeg` although `application/octet-stream` was
 * asked. Nothing is buffered; an upstream failure after the first byte cuts the
 * client connection (the stream errors), never a clean but short answer.
 */
import type { Dispatcher } from 'undici';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseMediaType } from '../../../http/accept.js';
import { NotFoundError, UpstreamFailureError } from '../../../http/errors.js';
import { boundaryOf, closingDelimiter, newBoundary, partHeader } from '../../../http/multipart.js';
import { multipartContentType, type RetrieveChoice } from '../../../http/retrieve-negotiation.js';
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE, transferSyntax } from '../../../dicom/transfer-syntax.js';
import type { InstanceUids } from '../../../cache/instance-store.js';
import { askAgainOnSocketDrop, discardBody } from '../../../upstream/body-errors.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { frameContentType, framePartHeaders, type PartFormat, type StreamAnswer } from './answer.js';
import { scanAfterHead, type MultipartEvent } from '../../../http/multipart-scanner.js';
import { BodyRelay, readPartHead } from './relay.js';
import { OCTET_STREAM } from './negotiation.js';

export interface UpstreamFramesRequest {
  uids: InstanceUids;
  frames: number[];
  /** An application/octet-stream choice with transfer syntax '*' or Explicit VR Little Endian. */
  choice: RetrieveChoice;
  signal: AbortSignal;
  location(frame: number): string;
}

export type UpstreamFramesResult =
  | { kind: 'answer'; answer: StreamAnswer; encapsulated: boolean }
  /** The upstream could not serve these frames (it answers 400/500 for big endian, deflated, SR…). */
  | { kind: 'declined'; status: number };

/** Transfer syntax of the frames in an upstream part, from the part or else from the answer's `type` value. */
function partSyntax(part: Record<string, string>, answerType: string): { partType: string; ts?: string } {
  // The test upstream writes type="image/jpeg; transfer-syntax=…" on the answer.
  const inner = parseMediaType(parseMediaType(answerType)?.params.type ?? '');
  const media = parseMediaType(part['content-type'] ?? '') ?? inner;
  return {
    partType: media ? `${media.type}/${media.subtype}` : OCTET_STREAM,
    ts: media?.params['transfer-syntax'] ?? inner?.params['transfer-syntax'],
  };
}

/** The label for relayed frames, or undefined when their bytes are not what the client asked for. */
function relayedSyntax(partType: string, ts: string | undefined): { ts: string; encapsulated: boolean } | undefined {
  if (partType === OCTET_STREAM) {
    // Big endian or deflated bytes would need conversion: those go through the instance store.
    return ts === undefined || ts === EXPLICIT_VR_LE || ts === IMPLICIT_VR_LE ? { ts: EXPLICIT_VR_LE, encapsulated: false } : undefined;
  }
  const info = ts ? transferSyntax(ts) : undefined;
  return info?.encapsulated && info.frameMediaType === partType ? { ts: info.uid, encapsulated: true } : undefined;
}

function declaredLength(headers: Record<string, string>): number | undefined {
  const n = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Counts a part's bytes against its declared Content-Length; a mismatch would corrupt the answer. */
class PartLength {
  private expected: number | undefined;
  private seen = 0;
  constructor(private readonly upstreamName: string) {}

  start(headers: Record<string, string>): number | undefined {
    this.check();
    this.expected = declaredLength(headers);
    this.seen = 0;
    return this.expected;
  }

  add(bytes: number): void {
    this.seen += bytes;
  }

  check(): void {
    if (this.expected !== undefined && this.seen !== this.expected) {
      throw new UpstreamFailureError(this.upstreamName, `sent a frame of ${this.seen} bytes that announced ${this.expected}.`, 502, 'UPSTREAM_BAD_RESPONSE');
    }
  }
}

interface Relay {
  events: AsyncIterator<MultipartEvent>;
  first: Extract<MultipartEvent, { kind: 'part' }>;
  req: UpstreamFramesRequest;
  format: PartFormat;
  upstreamName: string;
}

async function* relayMultipart(relay: Relay, boundary: string): AsyncGenerator<Buffer> {
  const { events, req, format } = relay;
  const length = new PartLength(relay.upstreamName);
  for (let event: MultipartEvent | undefined = relay.first; event; ) {
    if (event.kind === 'part') {
      const declared = length.start(event.headers);
      const frame = req.frames[event.index] ?? req.frames[req.frames.length - 1]!;
      yield partHeader(boundary, framePartHeaders(format, declared, req.location(frame)), event.index === 0);
    } else {
      length.add(event.chunk.length);
      yield event.chunk;
    }
    const next = await events.next();
    event = next.done ? undefined : next.value;
  }
  length.check();
  yield closingDelimiter(boundary);
}

async function* relaySinglePart(relay: Relay): AsyncGenerator<Buffer> {
  const length = new PartLength(relay.upstreamName);
  length.start(relay.first.headers);
  for (let next = await relay.events.next(); !next.done; next = await relay.events.next()) {
    if (next.value.kind === 'part') throw new UpstreamFailureError(relay.upstreamName, 'sent more than one frame where one was asked.', 502, 'UPSTREAM_BAD_RESPONSE');
    length.add(next.value.chunk.length);
    yield next.value.chunk;
  }
  length.check();
}

/** Runs a relay; whatever ends it (done, error, a client that left) releases the upstream body. */
async function* released(relay: Relay, inner: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* inner;
  } finally {
    await relay.events.return?.(undefined);
  }
}

function answerFor(relay: Relay): StreamAnswer {
  const { first, req, format } = relay;
  const declared = declaredLength(first.headers);
  const known = declared !== undefined && req.frames.length === 1;
  const headers: Record<string, string> = {};
  let body: Readable;
  if (format.multipart) {
    const boundary = newBoundary();
    headers['Content-Type'] = multipartContentType(format.partType, boundary, format.transferSyntax);
    if (known) {
      const head = partHeader(boundary, framePartHeaders(format, declared, req.location(req.frames[0]!)), true);
      headers['Content-Length'] = String(head.length + declared! + closingDelimiter(boundary).length);
    }
    body = Readable.from(released(relay, relayMultipart(relay, boundary)), { objectMode: false });
  } else {
    headers['Content-Type'] = frameContentType(format.partType, format.transferSyntax);
    if (known) headers['Content-Length'] = String(declared!);
    body = Readable.from(released(relay, relaySinglePart(relay)), { objectMode: false });
  }
  return { status: 200, headers, body, source: 'BYPASS' };
}

async function request(upstream: UpstreamClient, req: UpstreamFramesRequest): Promise<Dispatcher.ResponseData> {
  const { study, series, instance } = req.uids;
  return upstream.request({
    path: `/studies/${study}/series/${series}/instances/${instance}/frames/${req.frames.join(',')}`,
    headers: { accept: `multipart/related; type="${OCTET_STREAM}"; transfer-syntax=${req.choice.transferSyntax}` },
    signal: req.signal,
  });
}

/** Asks the upstream for the frames; the answer streams, or 'declined' says to use the instance store. */
export async function framesFromUpstream(upstream: UpstreamClient, req: UpstreamFramesRequest): Promise<UpstreamFramesResult> {
  // Cut before the first part's headers: nothing was sent to the client yet, so ask again.
  return askAgainOnSocketDrop(() => attempt(upstream, req), req.signal, upstream.name);
}

async function attempt(upstream: UpstreamClient, req: UpstreamFramesRequest): Promise<UpstreamFramesResult> {
  const res = await request(upstream, req);
  if (res.statusCode === 404) {
    await res.body.dump();
    throw new NotFoundError('The image archive has no such instance in this study and series.', 'INSTANCE_NOT_FOUND');
  }
  if (res.statusCode === 400 || res.statusCode === 500 || res.statusCode === 406 || res.statusCode === 415) {
    await res.body.dump();
    return { kind: 'declined', status: res.statusCode };
  }
  if (res.statusCode >= 400) throw await upstream.failure(res);
  const answerType = String(res.headers['content-type'] ?? '');
  const boundary = boundaryOf(answerType);
  if (!boundary) {
    discardBody(res.body);
    throw new UpstreamFailureError(upstream.name, `sent frames as "${answerType.slice(0, 80)}" instead of multipart/related.`, 502, 'UPSTREAM_BAD_RESPONSE');
  }
  const head = await readPartHead(res.body, boundary).catch((err: unknown) => {
    discardBody(res.body);
    throw err;
  });
  const { partType, ts } = partSyntax(head.headers, answerType);
  const label = relayedSyntax(partType, ts);
  if (!label) {
    discardBody(res.body);
    return { kind: 'declined', status: res.statusCode };
  }
  const format: PartFormat = { multipart: req.choice.multipart, partType: OCTET_STREAM, transferSyntax: label.ts };
  const length = declaredLength(head.headers);
  const answer = req.frames.length === 1 && length !== undefined
    ? fastAnswer(res.body, { boundary, length, rest: head.rest }, req, format)
    : answerFor({ events: scanAfterHead(res.body, boundary, head.rest), first: { kind: 'part', headers: head.headers, index: 0 }, req, format, upstreamName: upstream.name });
  return { kind: 'answer', answer, encapsulated: label.encapsulated };
}

/** One frame of known length: the upstream bytes flow through BodyRelay (frames-relay.ts). */
function fastAnswer(body: Readable, part: { boundary: string; length: number; rest: Buffer }, req: UpstreamFramesRequest, format: PartFormat): StreamAnswer {
  const ours = newBoundary();
  const prefix = format.multipart ? partHeader(ours, framePartHeaders(format, part.length, req.location(req.frames[0]!)), true) : Buffer.alloc(0);
  const suffix = format.multipart ? closingDelimiter(ours) : Buffer.alloc(0);
  const relay = new BodyRelay({ ...part, prefix, suffix });
  // Failures on either side destroy both; the client then sees a cut connection.
  pipeline(body, relay).catch(() => undefined);
  const contentType = format.multipart ? multipartContentType(format.partType, ours, format.transferSyntax) : frameContentType(format.partType, format.transferSyntax);
  const headers = { 'Content-Type': contentType, 'Content-Length': String(prefix.length + part.length + suffix.length) };
  return { status: 200, headers, body: relay, source: 'BYPASS' };
}
