/**
 * STOW-RS request handlers (PS3.18 §10.5 Store Transaction): read the parts,
 * run each instance through the pipeline, and answer with one Store Instances
 * Response Module (Annex I) built from what actually happened to each part,
 * whatever status the archive itself used.
 */
import type { Context } from 'koa';
import { publicBaseUrl } from '../../http/base-url.js';
import { BadRequestError, GatewayError, UpstreamFailureError } from '../../http/errors.js';
import { notifyStudyChanged, type GatewayServices } from '../../services.js';
import { ArchiveLookups } from './archive-checks.js';
import { UpstreamStore } from './forward.js';
import { PartReader, requestTooLarge } from './ingest.js';
import { convertDataset, readMetadata } from './json-form.js';
import { parseStowContentType, type StowBody } from './media-type.js';
import { negotiateStoreResponse, type StoreResponseType } from './negotiate.js';
import { InstanceFailure, type RequestFailure } from './outcome.js';
import { StoreRun } from './pipeline.js';
import { PolicySet } from './policy.js';
import { FailureReason } from './reasons.js';
import { storeResponseDataset, storeVerdict, type StoreSummary } from './response.js';
import { storeResponseXml } from './response-xml.js';
import type { SpooledPart } from './ingest.js';
import { storeAuthorizer } from '../../security/hooks.js';

export const DRY_RUN_HEADER = 'x-dry-run';

function isDryRun(ctx: Context): boolean {
  const query = ctx.query.dryrun;
  const value = (Array.isArray(query) ? query[0] : query) ?? ctx.get(DRY_RUN_HEADER);
  if (value === undefined || value === '') return false;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new BadRequestError('INVALID_DRYRUN', `dryrun must be true or false, not "${value.slice(0, 20)}".`, { parameter: 'dryrun' });
}

/** Aborted when the client goes away before its answer is written. */
function clientSignal(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** A request-level failure after some instances were stored goes into Other Failures Sequence. */
function requestFailureOf(err: GatewayError): RequestFailure {
  const code = err.status === 413 ? FailureReason.OUT_OF_RESOURCES : FailureReason.CANNOT_UNDERSTAND;
  return { code, comment: `${err.detail} Instances after this point were not stored.`, status: err.status };
}

export function createStowHandlers(services: GatewayServices) {
  const { config, logger, upstream, metadataCache } = services;
  const policies = new PolicySet(config.stow.policies);
  const store = new UpstreamStore(upstream, config.upstream.retries, logger);

  /** Parts held in memory by one request at once; more wait for their store on disk. */
  const partMemoryBudget = () => ({ remaining: config.stow.memoryPartBytes * (config.stow.upstreamConcurrency + 1) });

  /** Reads the metadata + bulk data form whole, then converts and admits each dataset. */
  async function ingestJson(ctx: Context, body: Extract<StowBody, { kind: 'multipart' }>, run: StoreRun): Promise<void> {
    const parts: SpooledPart[] = [];
    // All parts are held until the metadata is read; a shared budget keeps most of them on disk.
    const reader = new PartReader(config.stow, { remaining: config.stow.memoryPartBytes * 4 });
    try {
      await reader.read(ctx.req, body, async (part) => void parts.push(part));
      const { datasets, metadata } = await readMetadata(parts, body.start, config.stow.maxConvertBytes);
      const bulk = parts.filter((p) => p !== metadata);
      for (const [i, dataset] of datasets.entries()) {
        const index = i + 1;
        const spool = await convertDataset(dataset, bulk, config.stow.maxConvertBytes).catch((err: unknown) => {
          if (!(err instanceof InstanceFailure)) throw err;
          run.record({ kind: 'failed', ref: { part: index }, failure: err.detail });
          return undefined;
        });
        if (spool) await run.admit({ index, headers: { 'content-type': 'application/dicom' }, spool });
      }
      await run.settle();
    } finally {
      await Promise.all(parts.map((p) => p.spool.release()));
    }
  }

  function respond(ctx: Context, summary: StoreSummary, type: StoreResponseType): void {
    const verdict = storeVerdict(summary);
    if (verdict.status === 503) {
      throw new UpstreamFailureError(upstream.name, `could not be reached to store the instances; nothing was stored. ${verdict.reason}`, 503, 'UPSTREAM_UNAVAILABLE', { retryAfterSeconds: 5 });
    }
    if (verdict.status === 400) throw new BadRequestError('STOW_NO_INSTANCES', verdict.reason, { parameter: 'body' });
    const dataset = storeResponseDataset(summary);
    ctx.status = verdict.status;
    ctx.type = type;
    ctx.body = type === 'application/dicom+xml' ? storeResponseXml(dataset) : dataset;
    // PS3.18 Table 10.5.3-2: Location names the created resource; here the study, when there is one.
    const studyUrl = dataset['00081190']?.Value?.[0];
    if (typeof studyUrl === 'string') ctx.set('Location', studyUrl);
    if (summary.dryRun) ctx.set('Warning', '299 dicomweb-gateway "Dry run: the instances were validated, nothing was stored"');
  }

  /** The policy an authentication layer named for the client (ctx.state.stowPolicy), else the first that matches. */
  function selectPolicy(ctx: Context) {
    return policies.select({
      path: ctx.path.slice(config.server.basePath.length),
      header: (name) => ctx.get(name) || undefined,
      ...(typeof ctx.state.stowPolicy === 'string' && { policyName: ctx.state.stowPolicy }),
    });
  }

  /**
   * Feeds every part to the run. A body that turns out malformed or too large
   * part-way is returned as the request error: instances before it may be stored.
   */
  async function readBody(ctx: Context, body: StowBody, run: StoreRun, signal: AbortSignal): Promise<GatewayError | undefined> {
    try {
      if (body.kind === 'multipart' && body.form === 'json') await ingestJson(ctx, body, run);
      else await new PartReader(config.stow, partMemoryBudget()).read(ctx.req, body, (part) => run.admit(part));
      return undefined;
    } catch (err) {
      if (!(err instanceof GatewayError) || signal.aborted) {
        await run.settle();
        throw err;
      }
      ctx.set('Connection', 'close'); // the rest of the body is not read
      return err;
    }
  }

  /** PS3.18 §10.5: POST /studies and POST /studies/{study}. */
  async function handleStore(ctx: Context, urlStudy: string | undefined): Promise<void> {
    const type = negotiateStoreResponse(ctx.get('accept') || undefined);
    const body = parseStowContentType(ctx.get('content-type') || undefined);
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > config.stow.maxRequestBytes) {
      ctx.set('Connection', 'close');
      throw requestTooLarge(config.stow.maxRequestBytes);
    }
    const dryRun = isDryRun(ctx);
    const policy = selectPolicy(ctx);
    const signal = clientSignal(ctx);
    const lookups = new ArchiveLookups(upstream, signal);
    const run = new StoreRun({ config: config.stow, log: logger, store, lookups, metadataCache }, { ...(urlStudy && { urlStudy }), policy, dryRun, signal, authorize: storeAuthorizer(ctx) });
    const requestError = await readBody(ctx, body, run, signal);
    const outcomes = await run.settle();
    if (requestError && run.storedCount === 0) throw requestError;
    respond(ctx, {
      outcomes,
      ...(requestError && { requestFailure: requestFailureOf(requestError) }),
      dryRun,
      baseUrl: publicBaseUrl(ctx, config.server),
      ...(urlStudy && { urlStudy }),
      form: body.kind === 'multipart' ? body.form : 'dicom',
    }, type);
    // Metadata, frames and renderings of a changed study are dropped, so viewers see it at once.
    for (const study of new Set(outcomes.map((o) => o.ref.studyUid))) if (study && !dryRun) notifyStudyChanged(services, study);
    logger.info({ reqId: ctx.state.requestId, parts: outcomes.length, stored: run.storedCount, dryRun, policy: policy.name }, 'STOW-RS request');
  }

  return {
    handleStoreInstances: (ctx: Context) => handleStore(ctx, undefined),
    handleStoreStudyInstances: (ctx: Context) => handleStore(ctx, ctx.params.study as string),
  };
}
