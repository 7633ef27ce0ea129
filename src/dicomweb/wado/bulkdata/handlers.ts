/**
 * WADO-RS Bulkdata resources, PS3.18 §10.4.1.1.5: the BulkDataURIs that
 * /metadata hands out ({gateway}/studies/…/instances/{i}/bulk/{path}, where
 * {path} is what follows `/bulk/` in the upstream's BulkDataURI: a tag, or
 * tag/item/tag… into sequences). Served from the instance store when the
 * instance is there and the value is a top-level one, else relayed.
 */
import type { Context } from 'koa';
import type { DiskEntry } from '../../../cache/disk-lru.js';
import type { InstanceStore, InstanceUids } from '../../../cache/instance-store.js';
import { BadRequestError } from '../../../http/errors.js';
import { negotiateRetrieve } from '../../../http/retrieve-negotiation.js';
import type { UpstreamClient } from '../../../upstream/client.js';
import { CachedFileGoneError, type StreamAnswer } from '../frames/answer.js';
import { clientAbortSignal, sendStreamAnswer } from '../frames/http.js';
import type { InstanceSummary } from '../frames/frame-index.js';
import { pathUids } from '../frames/handlers.js';
import { bulkFromDisk, valueOnDisk } from './disk.js';
import { parseRange } from './range.js';
import { bulkFromUpstream, type UpstreamBulkRequest } from './upstream.js';

/** A tag, then any number of item-number/tag steps into sequences; at most 16 levels. */
const BULK_PATH = /^[0-9A-Fa-f]{8}(\/\d{1,6}\/[0-9A-Fa-f]{8}){0,15}$/;

export function parseBulkPath(rest: string): string {
  if (!BULK_PATH.test(rest)) {
    throw new BadRequestError(
      'INVALID_BULKDATA_PATH',
      `The bulk data path "${rest.slice(0, 80)}" is not one this gateway hands out: expected a tag of 8 hex digits, optionally followed by /item/tag steps (e.g. 7fe00010 or 54000100/1/54001010), as in the BulkDataURIs of /metadata.`,
      { parameter: 'bulkdata' },
    );
  }
  return rest;
}

export class BulkdataService {
  constructor(private readonly upstream: UpstreamClient, private readonly store: InstanceStore<InstanceSummary>) {}

  async retrieve(req: UpstreamBulkRequest): Promise<StreamAnswer> {
    const entry = this.store.get(req.uids) ?? (await this.fromLocal(req.uids));
    const value = entry ? valueOnDisk(entry.meta, req.path) : undefined;
    if (entry && value) {
      try {
        const source = this.store.origin(req.uids) === 'local' ? 'EDGE' : 'HIT';
        return await bulkFromDisk({ file: entry.path, value, multipart: req.multipart, range: req.range }, source);
      } catch (err) {
        if (!(err instanceof CachedFileGoneError)) throw err; // evicted meanwhile: ask the upstream
      }
    }
    return bulkFromUpstream(this.upstream, req);
  }

  /** The instance from the edge cache (src/edge) into the store, when the edge holds it; else undefined. */
  private async fromLocal(uids: InstanceUids): Promise<DiskEntry<InstanceSummary> | undefined> {
    if (!(await this.store.heldLocally(uids))) return undefined;
    return this.store.fetch(uids).catch(() => undefined);
  }
}

export interface BulkdataHandlers {
  handleRetrieveBulkdata(ctx: Context): Promise<void>;
}

export function createBulkdataHandlers(service: BulkdataService): BulkdataHandlers {
  return {
    /** PS3.18 §10.4.1.1.5: GET {s}/studies/{study}/series/{series}/instances/{instance}/bulk/{path} */
    async handleRetrieveBulkdata(ctx) {
      const path = parseBulkPath(ctx.params.rest ?? '');
      const choice = negotiateRetrieve(ctx.get('accept') || undefined, 'bulkdata');
      const answer = await service.retrieve({
        uids: pathUids(ctx),
        path,
        multipart: choice.multipart,
        // PS3.18 §8.6.1.1: Range applies to single-part payloads.
        range: choice.multipart ? undefined : parseRange(ctx.get('range') || undefined),
        signal: clientAbortSignal(ctx),
      });
      sendStreamAnswer(ctx, answer);
    },
  };
}
