/**
 * WADO-RS retrieval of DICOM instances: PS3.18 §10.4 (Retrieve Transaction),
 * resources Study, Series and Instance (§10.4.1.1.1), media type
 * multipart/related; type="application/dicom" with transfer-syntax negotiation
 * (§8.7.3.5; default Explicit VR Little Endian, `*` = as stored).
 * The upstream answer streams through in constant memory. What the edge cache
 * holds (src/edge/wado-retrieve.ts) is served from disk without asking the
 * archive, and instead of an error while the archive is down; a series the
 * archive was asked for again and again is read into it (read-ahead.ts).
 */
import type { Context } from 'koa';
import { NotAcceptableError, NotFoundError, UpstreamFailureError } from '../../http/errors.js';
import { negotiateRetrieve, supportedMediaTypes, type RetrieveChoice } from '../../http/retrieve-negotiation.js';
import { boundaryOf } from '../../http/multipart.js';
import { CACHE_HEADER } from '../../http/send-answer.js';
import { streamToClient } from '../../http/stream-response.js';
import { MAX_FREE_SLABS, SLAB_BYTES, SlabPool } from '../../http/slab-pool.js';
import { isArchiveOutage, withEdgeHint, withEdgeMissHint } from '../../edge/outage.js';
import { retrieveFromEdge, type EdgeRetrieveRequest } from '../../edge/wado-retrieve.js';
import { archiveAgreement } from '../../edge/archive-check.js';
import type { EdgeInstance } from '../../edge/types.js';
import { notifyStudyChanged, type GatewayServices } from '../../services.js';
import type { EdgeMultipart } from '../../edge/multipart-body.js';
import { upstreamBodyError } from '../../upstream/body-errors.js';
import { clientAbortSignal, describe, resourceOf, resourcePath, type WadoResource } from './resource.js';
import type { SeriesReadAhead } from './read-ahead.js';

const READ_AHEAD_SYNTAXES = new Set(['*', '1.2.840.10008.1.2.1']);

export function createRetrieveHandlers(services: GatewayServices, readAhead?: SeriesReadAhead) {
  const { upstream, logger, edge } = services;
  // Read buffers of edge answers, reused once written to a client (http/slab-pool.ts).
  const slabs = new SlabPool(SLAB_BYTES, MAX_FREE_SLABS);

  async function fromUpstream(ctx: Context, resource: WadoResource, choice: RetrieveChoice, signal: AbortSignal): Promise<void> {
    const accept = `multipart/related; type="application/dicom"; transfer-syntax=${choice.transferSyntax}`;
    const res = await upstream.stream({ path: resourcePath(resource), headers: { accept }, signal });
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
    // The body already failed in the read that carried the head (a broken chunked coding, a
    // reset): nothing was sent to the client yet, so it gets a 502, not a cut connection.
    if (res.body.errored) throw upstreamBodyError(res.body.errored, upstream.name);
    ctx.status = 200;
    ctx.set('Content-Type', contentType);
    ctx.set('Cache-Control', 'private, no-cache');
    streamToClient(ctx, res.body, { boundary, log: logger, release: res.release });
    // A series asked for again and again is read into the edge once (read-ahead.ts), if
    // the edge could then answer: it never transcodes, and most series are stored either
    // as they are or in Explicit VR Little Endian (the default, PS3.18 §8.7.3.5.2).
    if (resource.series && !resource.instance && READ_AHEAD_SYNTAXES.has(choice.transferSyntax)) readAhead?.noteRetrieve(resource.study, resource.series);
  }

  function fromEdge(ctx: Context, answer: EdgeMultipart): void {
    ctx.status = 200;
    ctx.set('Content-Type', answer.contentType);
    ctx.set('Cache-Control', 'private, no-cache');
    ctx.set(CACHE_HEADER, 'EDGE');
    // A body never read (HEAD, say) must still end, or its study would stay pinned.
    ctx.res.once('close', () => answer.body.destroy());
    streamToClient(ctx, answer.body, { boundary: answer.boundary, log: logger, release: answer.releaseChunk });
    if (answer.length !== undefined) ctx.length = answer.length;
  }

  /** Whether the edge's whole series or study is still the archive's; when not, what the gateway holds of the study goes. */
  async function stillCurrent(resource: WadoResource, held: readonly EdgeInstance[], signal: AbortSignal): Promise<boolean> {
    const agreement = await archiveAgreement(upstream, resource, held, signal);
    if (agreement !== 'changed') return true;
    logger.info({ study: resource.study, series: resource.series, held: held.length }, 'the archive counts other instances than the edge cache holds; answering from the archive and dropping the gateway\'s copies of the study');
    notifyStudyChanged(services, resource.study);
    return false;
  }

  async function retrieve(ctx: Context): Promise<void> {
    const resource = resourceOf(ctx);
    const choice = negotiateRetrieve(ctx.get('accept') || undefined, 'instances');
    const signal = clientAbortSignal(ctx);
    const edgeRequest: EdgeRetrieveRequest = { ...resource, transferSyntax: choice.transferSyntax, signal, whileArriving: true, slabs };
    const held = await retrieveFromEdge(edge, { ...edgeRequest, confirm: (instances) => stillCurrent(resource, instances, signal) }).catch((err: unknown) => {
      // A shared download that failed, an edge too full: the archive path decides.
      if (signal.aborted) throw err;
      logger.debug({ err }, 'edge cache could not answer a retrieve; asking the archive');
      return undefined;
    });
    if (held?.kind === 'answer') return fromEdge(ctx, held.answer);
    try {
      await fromUpstream(ctx, resource, choice, signal);
    } catch (err) {
      if (!isArchiveOutage(err)) throw err;
      // PS3.18 §10.4: the archive is down or refusing; what the edge holds still answers.
      const fallback = await retrieveFromEdge(edge, { ...edgeRequest, whileArriving: false });
      if (fallback?.kind === 'answer') return fromEdge(ctx, fallback.answer);
      if (fallback) throw withEdgeHint(err, fallback.storedAs);
      throw edge.enabled ? withEdgeMissHint(err) : err;
    }
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
