/**
 * Where frames come from (PS3.18 §10.4.1.1.6). The upstream decodes or re-reads
 * the whole instance for every frame of a compressed or large multi-frame
 * instance, so the gateway keeps such instances on disk and serves their frames
 * by positional reads. Policy:
 * - a cached instance is always served from disk;
 * - the first request for frame 1 of an unknown instance is relayed from the
 *   upstream, untouched but for headers: single-frame uncompressed stacks (the
 *   common case) cost one hop and no download;
 * - a second request for the same instance, a frame other than 1, a frame list,
 *   a compressed answer, or an upstream that cannot serve the frame (400/500 for
 *   big endian, deflated, non-image instances) bring the instance into the store;
 * - instances too large for the store, or whose file cannot be indexed, are
 *   always relayed;
 * - an instance the edge cache holds (src/edge) is served from the edge's own
 *   file (edge-frames.ts); one it is downloading enters the store from there:
 *   no archive request, and frames while the archive is down;
 * - with wado.readAheadAfterInstances set (off by default), frames asked for
 *   several instances of one series start a read-ahead of the whole series
 *   into the edge cache (read-ahead.ts): the rest of the stack comes from there;
 * - uncompressed frames of a compressed stored instance (the default transfer
 *   syntax, PS3.18 §8.7.3.5.2) are decoded by the gateway (decoded.ts) where its
 *   codecs can, else by the upstream.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { EntryTooLargeError, type DiskEntry } from '../../../cache/disk-lru.js';
import { InstanceTooLargeError, instanceKey, type InstanceStore, type InstanceUids } from '../../../cache/instance-store.js';
import { NotAcceptableError, NotFoundError, UpstreamFailureError } from '../../../http/errors.js';
import { supportedMediaTypes, type RetrieveChoice } from '../../../http/retrieve-negotiation.js';
import { Part10Error } from '../../../dicom/part10/index.js';
import { EXPLICIT_VR_LE } from '../../../dicom/transfer-syntax.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { CachedFileGoneError, framesFromDisk, type AnswerSource, type StreamAnswer } from './answer.js';
import type { InstanceSummary } from './frame-index.js';
import { frameCount } from './layout.js';
import { OCTET_STREAM, passThroughChoice, planFrames } from './negotiation.js';
import { framesFromUpstream, type UpstreamFramesRequest } from './upstream.js';
import { framesDecoded } from './decoded.js';
import type { DecodedCopies } from './decoded-copies.js';
import { canDecodeFrames, FrameDecodeError } from '../../../dicom/codecs/frame-decoder.js';
import type { SeriesReadAhead } from '../read-ahead.js';
import type { EdgeFrameSource } from './edge-frames.js';

export interface FrameRequest {
  uids: InstanceUids;
  frames: number[];
  choices: readonly RetrieveChoice[];
  signal: AbortSignal;
  location(frame: number): string;
}

type Entry = DiskEntry<InstanceSummary>;

/** Instances remembered as seen (one frame request already relayed) or as never storable. */
const SEEN_INSTANCES = 100_000;

export class FrameService {
  private readonly seen = new LRUCache<string, true>({ max: SEEN_INSTANCES });
  /** Instances always relayed, with the reason (too large, unreadable file). */
  private readonly relayed = new LRUCache<string, string>({ max: SEEN_INSTANCES });

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly store: InstanceStore<InstanceSummary>,
    private readonly log: Logger,
    /** Whole-instance decoded copies for repeated uncompressed requests (absent: decode per request). */
    private readonly decodedCopies?: DecodedCopies,
    /** Reads a series into the edge cache once a viewer loads its stack (absent: frames are asked one by one). */
    private readonly readAhead?: SeriesReadAhead,
    /** Frames straight from edge cache files (absent: edge instances are copied into the store first). */
    private readonly edgeFrames?: EdgeFrameSource,
  ) {}

  async retrieve(req: FrameRequest): Promise<StreamAnswer> {
    const key = instanceKey(req.uids);
    const cached = this.store.get(req.uids);
    if (cached) {
      return this.fromEntry(cached, req, 'HIT').catch((err: unknown) => {
        if (err instanceof CachedFileGoneError) return this.fromStore(req, true);
        throw err;
      });
    }
    if (this.relayed.has(key)) return this.relayAlways(req);
    if (await this.store.heldLocally(req.uids)) return this.fromLocal(req);
    this.readAhead?.noteFrame(req.uids);
    const firstSight = !this.seen.has(key);
    this.seen.set(key, true);
    const choice = firstSight && req.frames.length === 1 && req.frames[0] === 1 ? passThroughChoice(req.choices) : undefined;
    if (choice) {
      const result = await framesFromUpstream(this.upstream, this.upstreamRequest(req, choice));
      if (result.kind === 'answer') {
        if (result.encapsulated) this.prefetch(req.uids);
        return result.answer;
      }
      this.log.debug({ instance: req.uids.instance, status: result.status }, 'upstream declined a frame; storing the instance');
    }
    return this.fromStore(req);
  }

  private upstreamRequest(req: FrameRequest, choice: RetrieveChoice): UpstreamFramesRequest {
    return { uids: req.uids, frames: req.frames, choice, signal: req.signal, location: req.location };
  }

  /** Brings a compressed instance into the store after its first frame was relayed. */
  private prefetch(uids: InstanceUids): void {
    this.store.fetch(uids).catch((err: unknown) => {
      if (!this.noteUnstorable(uids, err)) this.log.debug({ err, instance: uids.instance }, 'background instance fetch failed');
    });
  }

  /** Remembers instances the store can never hold; returns the reason, or undefined for other errors. */
  private noteUnstorable(uids: InstanceUids, err: unknown): string | undefined {
    let reason: string | undefined;
    if (err instanceof InstanceTooLargeError || err instanceof EntryTooLargeError) reason = 'too large for the instance cache';
    else if (err instanceof Part10Error) reason = `file not indexable (${err.code})`;
    if (reason) {
      this.relayed.set(instanceKey(uids), reason);
      this.log.info({ instance: uids.instance, reason }, 'instance frames will be relayed from the upstream');
    }
    return reason;
  }

  /** An instance the edge cache holds: from its file; while it is being downloaded, through the store (which waits for it). */
  private async fromLocal(req: FrameRequest): Promise<StreamAnswer> {
    const entry = await this.edgeFrames?.entry(req.uids).catch((err: unknown) => {
      if (!(err instanceof Part10Error)) throw err;
      return undefined; // not indexable here: the store path decides (and remembers it)
    });
    if (!entry) return this.fromStore(req);
    return this.fromEntry(entry, req, 'EDGE').catch((err: unknown) => {
      if (err instanceof CachedFileGoneError) return this.fromStore(req); // evicted from the edge meanwhile
      throw err;
    });
  }

  private async fromStore(req: FrameRequest, retried = false): Promise<StreamAnswer> {
    let entry: Entry;
    try {
      entry = await this.store.fetch(req.uids);
    } catch (err) {
      if (this.noteUnstorable(req.uids, err)) return this.relayAlways(req);
      throw err;
    }
    try {
      return await this.fromEntry(entry, req, 'MISS');
    } catch (err) {
      if (!(err instanceof CachedFileGoneError) || retried) throw err;
      return this.fromStore(req, true);
    }
  }

  private async fromEntry(entry: Entry, req: FrameRequest, stored: AnswerSource): Promise<StreamAnswer> {
    const source = this.store.origin(req.uids) === 'local' ? 'EDGE' : stored;
    const pixel = entry.meta.pixel;
    if (!pixel) {
      throw new NotFoundError('This instance has no pixel data, so it has no frames (it is not an image: a structured report, document or waveform, say). Its content is available through /metadata and its bulk data.', 'NO_PIXEL_DATA');
    }
    if (!pixel.table) return this.relayAlways(req); // the upstream may know how to split what the gateway cannot
    const count = frameCount(pixel.table);
    const beyond = req.frames.find((f) => f > count);
    if (beyond !== undefined) {
      throw new NotFoundError(`Frame ${beyond} requested; the instance has ${count} frame${count === 1 ? '' : 's'}.`, 'FRAME_OUT_OF_RANGE');
    }
    const plan = planFrames(req.choices, entry.meta.transferSyntaxUid, pixel.encapsulated, req.frames.length);
    if (plan.source === 'decode') return this.decoded(entry, req, plan.multipart, source);
    try {
      return await framesFromDisk({ file: entry.path, table: pixel.table, frames: req.frames, format: plan, location: req.location }, source);
    } catch (err) {
      if (err instanceof CachedFileGoneError) this.store.delete(req.uids);
      throw err;
    }
  }

  /**
   * Uncompressed frames of a compressed instance: decoded here from the disk copy
   * when a gateway codec handles the syntax and size, else by the upstream.
   */
  private async decoded(entry: Entry, req: FrameRequest, multipart: boolean, source: AnswerSource): Promise<StreamAnswer> {
    const pixel = entry.meta.pixel!;
    const storedTransferSyntax = entry.meta.transferSyntaxUid;
    const upstreamDecodes = () => this.relayOrFail(req, { multipart, partType: OCTET_STREAM, transferSyntax: EXPLICIT_VR_LE });
    if (!pixel.table || !pixel.geometry || !canDecodeFrames(storedTransferSyntax, pixel.geometry)) return upstreamDecodes();
    const key = instanceKey(req.uids);
    const copy = this.decodedCopies?.get(key);
    if (copy) {
      const format = { multipart, partType: OCTET_STREAM, transferSyntax: EXPLICIT_VR_LE };
      return framesFromDisk({ file: copy.path, table: copy.meta, frames: req.frames, format, location: req.location }, 'HIT').catch((err: unknown) => {
        if (!(err instanceof CachedFileGoneError)) throw err;
        this.decodedCopies?.delete(key); // its file went away: decode per frame again
        return this.decoded(entry, req, multipart, source);
      });
    }
    const decodeSource = { file: entry.path, table: pixel.table, storedTransferSyntax, geometry: pixel.geometry };
    try {
      const answer = await framesDecoded({ ...decodeSource, frames: req.frames, multipart, location: req.location }, source);
      this.decodedCopies?.schedule(key, decodeSource);
      return answer;
    } catch (err) {
      if (!(err instanceof FrameDecodeError)) throw err;
      this.log.info({ instance: req.uids.instance, err: err.message }, 'gateway codec failed on a frame; the upstream decodes it');
      return upstreamDecodes();
    }
  }

  /** For instances the store does not hold: every request goes to the upstream. */
  private relayAlways(req: FrameRequest): Promise<StreamAnswer> {
    const choice = passThroughChoice(req.choices);
    if (!choice) {
      throw new NotAcceptableError('Frames of this instance are relayed from the image archive, which can send them only as application/octet-stream (transfer-syntax=* for as stored, or uncompressed).', supportedMediaTypes('frames'));
    }
    return this.relayOrFail(req, choice);
  }

  private async relayOrFail(req: FrameRequest, choice: RetrieveChoice): Promise<StreamAnswer> {
    const result = await framesFromUpstream(this.upstream, this.upstreamRequest(req, choice));
    if (result.kind === 'answer') return result.answer;
    throw new UpstreamFailureError(this.upstream.name, `could not provide these frames (HTTP ${result.status}).`, 502, 'UPSTREAM_REJECTED');
  }
}
