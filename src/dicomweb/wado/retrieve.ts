/**
 * WADO-RS retrieval of DICOM instances: PS3.18 §10.4 (Retrieve Transaction),
 * resources Study, Series and Instance (§10.4.1.1.1), media type
 * multipart/related; type="application/dicom" with transfer-syntax negotiation
 * (§8.7.3.5; default Explicit VR Little Endian, `*` = as stored).
 * The upstream answer streams through in constant memory.
 */
import type { Context } from 'koa';
import type { GatewayServices } from '../../services.js';
import { NotAcceptableError, NotFoundError, UpstreamFailureError } from '../../http/errors.js';
import { negotiateRetrieve, supportedMediaTypes } from '../../http/retrieve-negotiation.js';
import { boundaryOf } from '../../http/multipart.js';
import { streamToClient } from '../../http/stream-response.js';
import { clientAbortSignal, describe, resourceOf, resourcePath } from './resource.js';

export function createRetrieveHandlers(services: GatewayServices) {
  const { upstream, logger } = services;

  async function retrieve(ctx: Context): Promise<void> {
    const resource = resourceOf(ctx);
    const choice = negotiateRetrieve(ctx.get('accept') || undefined, 'instances');
    const accept = `multipart/related; type="application/dicom"; transfer-syntax=${choice.transferSyntax}`;
    const res = await upstream.stream({ path: resourcePath(resource), headers: { accept }, signal: clientAbortSignal(ctx) });
    if (res.statusCode === 404) {
      res.body.resume();
      throw new NotFoundError(`No ${describe(resource)} in the archive.`);
    }
    if (res.statusCode >= 400 && res.statusCode < 500 && choice.transferSyntax !== '*') {
      res.body.resume();
      throw new NotAcceptableError(`The archive cannot provide ${describe(resource)} in transfer syntax ${choice.transferSyntax}; ask for transfer-syntax=* to get it as stored.`, supportedMediaTypes('instances'));
    }
    if (res.statusCode >= 400) throw await upstream.streamFailure(res);
    const contentType = String(res.headers['content-type'] ?? '');
    const boundary = boundaryOf(contentType);
    if (!boundary) {
      res.body.resume();
      throw new UpstreamFailureError(upstream.name, `answered a retrieve with "${contentType}" instead of a multipart body.`, 502, 'UPSTREAM_BAD_RESPONSE');
    }
    ctx.status = 200;
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'private, no-cache');
    streamToClient(ctx, res.body, { boundary, log: logger });
  }

  return {
    /** §10.4.1.1.1 Study resource: all instances of a study. */
    handleRetrieveStudy: retrieve,
    /** §10.4.1.1.1 Series resource. */
    handleRetrieveSeries: retrieve,
    /** §10.4.1.1.1 Instance resource. */
    handleRetrieveInstance: retrieve,
  };
}
