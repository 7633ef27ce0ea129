/**
 * The prefetch REST API (JSON; errors as problem+json). Not a PS3.18
 * transaction: a gateway resource that, in the background, runs QIDO-RS
 * searches (§10.6) and WADO-RS retrievals (§10.4) on behalf of the caller.
 * A caller with a data restriction sees and cancels only the jobs it created;
 * its jobs fetch only studies it could read itself.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { EdgeCache } from '../edge/types.js';
import { GatewayError } from '../http/errors.js';
import { publicBaseUrl } from '../http/base-url.js';
import type { AuditFacts } from '../security/audit/facts.js';
import type { Principal } from '../security/principal.js';
import type { GatewayServices } from '../services.js';
import { readJsonBody } from './body.js';
import { PrefetchJobFinishedError, PrefetchJobNotFoundError, PrefetchUnavailableError } from './errors.js';
import { streamJobEvents, type EventStreamOptions } from './events.js';
import type { PrefetchManager } from './manager.js';
import { isFinished } from './state-machine.js';
import { emptyCounts, type JobStudy, type PrefetchJob } from './types.js';
import { parseListQuery, parsePrefetchRequest, type PrefetchRequest } from './validate.js';
import { jobLinks, jobSummaryView, jobView } from './view.js';

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface HandlerDeps {
  services: Pick<GatewayServices, 'config' | 'lifecycle'>;
  manager: PrefetchManager;
  edge: Pick<EdgeCache, 'enabled'>;
  events?: EventStreamOptions;
}

const principalOf = (ctx: Context) => ctx.state.principal as Principal | undefined;
const factsOf = (ctx: Context) => ctx.state.auditFacts as AuditFacts | undefined;

function mayManage(principal: Principal | undefined, job: PrefetchJob): boolean {
  return principal?.restriction === undefined || job.createdBy === principal.id;
}

export function newJob(request: PrefetchRequest, principal: Principal | undefined, baseUrl: string, now = new Date()): PrefetchJob {
  const at = now.toISOString();
  return {
    id: randomUUID(), status: 'queued', patient: request.patient, pacsIdentities: [], criteria: request.criteria, counts: emptyCounts(),
    message: 'Queued', warnings: [], createdBy: principal?.id ?? 'anonymous', restriction: principal?.restriction, baseUrl,
    studiesListed: false, createdAt: at, updatedAt: at,
  };
}

export function createPrefetchHandlers({ services, manager, edge, events }: HandlerDeps) {
  const { config, lifecycle } = services;

  /** The gateway's public origin (and any proxy prefix): the DICOMweb root without basePath. */
  function apiRoot(ctx: Context): string {
    const base = publicBaseUrl(ctx, config.server);
    return base.endsWith(config.server.basePath) ? base.slice(0, base.length - config.server.basePath.length) : new URL(base).origin;
  }

  function assertAccepting(): void {
    if (!config.prefetch.enabled) throw new PrefetchUnavailableError('Prefetch is switched off on this gateway (prefetch.enabled is false).', 'PREFETCH_DISABLED');
    if (lifecycle.draining || !manager.accepting) throw new PrefetchUnavailableError('The gateway is shutting down and takes no new prefetch jobs; send the request again once it is back.', 'GATEWAY_DRAINING');
    if (!edge.enabled) throw new PrefetchUnavailableError('The edge cache is switched off (edge.enabled is false): a prefetch has nowhere to keep the images.', 'EDGE_DISABLED');
  }

  /** The job when it exists and the caller may manage it (404 otherwise: others' jobs are not revealed). */
  async function visibleJob(ctx: Context): Promise<{ job: PrefetchJob; studies: JobStudy[] }> {
    const id = String(ctx.params.id ?? '');
    const found = JOB_ID.test(id) ? await manager.get(id) : undefined;
    if (!found || !mayManage(principalOf(ctx), found.job)) throw new PrefetchJobNotFoundError(id);
    const facts = factsOf(ctx);
    facts?.addPatients([found.job.patient, ...found.job.pacsIdentities]);
    for (const s of found.studies) if (s.status !== 'skipped' || s.instancesDone > 0) facts?.addStudy(s.studyUid);
    if (facts) facts.detail.prefetchJob = id;
    return found;
  }

  return {
    /** POST /api/prefetch: starts a job for a patient and date range (202 + Location). */
    async handleCreatePrefetchJob(ctx: Context): Promise<void> {
      assertAccepting();
      const request = parsePrefetchRequest(await readJsonBody(ctx));
      const job = newJob(request, principalOf(ctx), publicBaseUrl(ctx, config.server));
      const facts = factsOf(ctx);
      facts?.addPatients([request.patient]);
      if (facts) Object.assign(facts.detail, { prefetchJob: job.id, criteria: request.criteria });
      const stored = await manager.submit(job);
      const links = jobLinks(apiRoot(ctx), job.id);
      ctx.status = 202;
      ctx.set('Location', links.self);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { id: job.id, status: stored.status, message: stored.message, links };
    },

    /** GET /api/prefetch?status=&limit=: recent jobs, newest first. */
    async handleListPrefetchJobs(ctx: Context): Promise<void> {
      const query = parseListQuery(ctx.query);
      const principal = principalOf(ctx);
      const jobs = await manager.list({ statuses: query.statuses, limit: query.limit, ...(principal?.restriction && { createdBy: principal.id }) });
      const root = apiRoot(ctx);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { jobs: jobs.map((j) => jobSummaryView(j, root)) };
    },

    /** GET /api/prefetch/{id}: the job with its per-study outcome. */
    async handleGetPrefetchJob(ctx: Context): Promise<void> {
      const { job, studies } = await visibleJob(ctx);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = jobView(job, studies, apiRoot(ctx));
    },

    /** GET /api/prefetch/{id}/events: server-sent events until the job ends. */
    async handlePrefetchJobEvents(ctx: Context): Promise<void> {
      const found = await visibleJob(ctx);
      // An EventSource reconnecting after `end` is told to stop (204 ends its reconnection loop).
      if (ctx.get('last-event-id') && isFinished(found.job.status)) {
        ctx.status = 204;
        return;
      }
      streamJobEvents(ctx, manager, found, apiRoot(ctx), lifecycle, events);
    },

    /** DELETE /api/prefetch/{id}: cancels a queued or running job (in-flight downloads are aborted). */
    async handleCancelPrefetchJob(ctx: Context): Promise<void> {
      const { job } = await visibleJob(ctx);
      if (isFinished(job.status) && job.status !== 'cancelled') throw new PrefetchJobFinishedError(job.id, job.status);
      const after = await manager.cancel(job.id, principalOf(ctx)?.name ?? principalOf(ctx)?.id ?? 'anonymous');
      if (!after) throw new PrefetchJobNotFoundError(job.id);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = jobView(after.job, after.studies, apiRoot(ctx));
    },

    handleMethodNotAllowed(ctx: Context): void {
      const allowed = ctx.path.replace(/\/+$/, '') === '/api/prefetch' ? 'GET, POST' : ctx.path.endsWith('/events') ? 'GET' : 'GET, DELETE';
      ctx.set('Allow', allowed);
      throw new GatewayError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed', `${ctx.method} is not supported on ${ctx.path}; use ${allowed}.`);
    },
  };
}
