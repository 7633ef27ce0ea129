/**
 * WADO-RS Pixel Data resources, PS3.18 §10.4.1.1.6 (Table 10.4.1-1: frames).
 */
import type { Context } from 'koa';
import type { GatewayConfig } from '../../../config/schema.js';
import { publicBaseUrl } from '../../../http/base-url.js';
import type { InstanceUids } from '../../../cache/instance-store.js';
import { frameChoices } from './negotiation.js';
import { parseFrameList } from './params.js';
import type { FrameService } from './service.js';
import { clientAbortSignal, sendStreamAnswer } from './http.js';

export interface FrameHandlers {
  handleRetrieveInstanceFrames(ctx: Context): Promise<void>;
}

export function pathUids(ctx: Context): InstanceUids {
  // The router validated these as UIDs (dicomweb/routes.ts) before any handler runs.
  return { study: ctx.params.study!, series: ctx.params.series!, instance: ctx.params.instance! };
}

export function instanceUrl(ctx: Context, config: GatewayConfig, uids: InstanceUids): string {
  return `${publicBaseUrl(ctx, config.server)}/studies/${uids.study}/series/${uids.series}/instances/${uids.instance}`;
}

export function createFrameHandlers(service: FrameService, config: GatewayConfig): FrameHandlers {
  return {
    /** PS3.18 §10.4.1.1.6: GET {s}/studies/{study}/series/{series}/instances/{instance}/frames/{frames} */
    async handleRetrieveInstanceFrames(ctx) {
      const frames = parseFrameList(ctx.params.frames ?? '');
      const choices = frameChoices(ctx.get('accept') || undefined);
      const uids = pathUids(ctx);
      const base = instanceUrl(ctx, config, uids);
      const answer = await service.retrieve({
        uids,
        frames,
        choices,
        signal: clientAbortSignal(ctx),
        location: (frame) => `${base}/frames/${frame}`,
      });
      sendStreamAnswer(ctx, answer);
    },
  };
}
