/**
 * One audit event per DICOMweb request, written when the answer is decided and
 * before it is sent (with durability "fsync" the event is on disk first). The
 * event type follows the transaction (Query, DICOM Instances Accessed /
 * Transferred, Instances Stored), or the refusal: a failed authentication is a
 * User Authentication event, a policy refusal or a hardened-edge rejection a
 * Security Alert. In fail-closed mode a request is refused with 503 while the
 * trail cannot be written, and an answer whose event could not be written is
 * not sent: a buffered answer waits for its event (and becomes a 503 when it
 * cannot be written); a streamed one starts at once and is cut if its event
 * fails.
 */
import type { Readable } from 'node:stream';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../http/errors.js';
import { AuditUnavailableError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { RouteKind } from '../route-kind.js';
import { EVENT_IDS, EVENT_TYPE_CODES, outcomeOfStatus, type AuditEvent, type AuditEventType, type AuditUser, type CodedValue, type EventAction } from './event.js';
import { AuditFacts } from './facts.js';
import type { AuditTrail } from './trail.js';

const TRANSACTIONS: Partial<Record<RouteKind, [AuditEventType, EventAction]>> = {
  search: ['Query', 'E'],
  metadata: ['DICOM Instances Accessed', 'R'],
  retrieve: ['DICOM Instances Transferred', 'R'],
  rendered: ['DICOM Instances Transferred', 'R'],
  frames: ['DICOM Instances Transferred', 'R'],
  bulk: ['DICOM Instances Transferred', 'R'],
  store: ['Instances Stored', 'C'],
};

const CREDENTIAL_PARAMETERS = new Set(['access_token', 'token']);

/** The QIDO query as the client sent it, decoded for reading, without credentials. */
export function auditQueryText(querystring: string): string {
  return querystring.split('&').filter((p) => p !== '' && !CREDENTIAL_PARAMETERS.has((p.split('=', 1)[0] ?? '').toLowerCase())).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  }).join('&').slice(0, 4096);
}

function userOf(ctx: Context): AuditUser {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) {
    const claimed = ctx.state.claimedUser as string | undefined;
    return { id: claimed ? `unverified:${claimed}` : 'unauthenticated', kind: 'unauthenticated' };
  }
  return {
    id: principal.id,
    kind: principal.kind,
    ...(principal.name && { name: principal.name }),
    ...(principal.issuer && { issuer: principal.issuer }),
    ...(principal.clientId && { clientId: principal.clientId }),
    roles: [...principal.roles],
  };
}

/** EventActionCode of a REST call on the /api/ resources. */
function actionOfMethod(method: string): EventAction {
  if (method === 'POST') return 'C';
  if (method === 'PUT' || method === 'PATCH') return 'U';
  if (method === 'DELETE') return 'D';
  return 'R';
}

function classify(kind: RouteKind, method: string, path: string, status: number, facts: AuditFacts): { type: AuditEventType; action: EventAction; typeCode?: CodedValue } | undefined {
  if (status === 401) return { type: 'User Authentication', action: 'E', typeCode: EVENT_TYPE_CODES.login };
  if (facts.denial?.startsWith('request refused at the edge')) return { type: 'Security Alert', action: 'E', typeCode: EVENT_TYPE_CODES.accessControlDecision };
  if (facts.denial || status === 403) return { type: 'Security Alert', action: 'E', typeCode: EVENT_TYPE_CODES.authorizationDecision };
  const transaction = TRANSACTIONS[kind];
  if (transaction) return { type: transaction[0], action: transaction[1] };
  if (kind === 'admin' && path.startsWith('/admin/audit')) return { type: 'Audit Log Used', action: 'R' };
  if (kind === 'patient-admin' || kind === 'prefetch') return { type: kind === 'prefetch' ? 'Begin Transferring DICOM Instances' : 'Patient Record', action: actionOfMethod(method) };
  return undefined;
}

function uidParams(ctx: Context): Pick<AuditEvent, 'series' | 'instances'> {
  const params = (ctx.params ?? {}) as Record<string, string | undefined>;
  return { ...(params.series && { series: [params.series] }), ...(params.instance && { instances: [params.instance] }) };
}

function describeFailure(status: number, error: unknown, facts: AuditFacts): string | undefined {
  const parts: string[] = [];
  if (error instanceof GatewayError) parts.push(`${error.code}: ${error.detail}`);
  else if (error) parts.push('internal error');
  else if (status >= 400) parts.push(`HTTP ${status}`);
  if (facts.denial) parts.push(facts.denial);
  return parts.length > 0 ? parts.join('; ').slice(0, 1000) : undefined;
}

/** Store Instances Response (PS3.18 Annex I): how many instances were stored and failed. */
function storeCounts(body: unknown): Record<string, number> | undefined {
  if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return undefined;
  const seq = (tag: string) => ((body as Record<string, { Value?: unknown[] }>)[tag]?.Value ?? []).length;
  return { stored: seq('00081199'), failed: seq('00081198') };
}

export function buildEvent(ctx: Context, kind: RouteKind, status: number, error: unknown, trail: AuditTrail): AuditEvent | undefined {
  const facts = ctx.state.auditFacts as AuditFacts;
  const what = classify(kind, ctx.method, ctx.path, status, facts);
  if (!what) return undefined;
  const outcomeDescription = describeFailure(status, error, facts);
  const counts = kind === 'store' && !error ? storeCounts(ctx.body) : undefined;
  const detail = { ...facts.detail, ...counts, ...(facts.truncated && { truncated: true }) };
  return {
    time: new Date().toISOString(),
    eventType: what.type,
    eventId: EVENT_IDS[what.type],
    ...(what.typeCode && { eventTypeCode: what.typeCode }),
    action: what.action,
    outcome: error && !(error instanceof GatewayError) ? 8 : outcomeOfStatus(status),
    ...(outcomeDescription && { outcomeDescription }),
    user: userOf(ctx),
    client: { address: ctx.ip, ...(ctx.get('user-agent') && { userAgent: ctx.get('user-agent').slice(0, 256) }) },
    source: trail.source,
    request: { id: ctx.state.requestId as string | undefined, method: ctx.method, path: ctx.path.slice(0, 512), status, ...(ctx._matchedRoute && { route: String(ctx._matchedRoute) }) },
    ...(facts.studies.size > 0 && { studies: [...facts.studies] }),
    ...uidParams(ctx),
    ...(facts.patients.size > 0 && { patients: [...facts.patients.values()] }),
    ...(kind === 'search' && { query: auditQueryText(ctx.querystring) }),
    ...(Object.keys(detail).length > 0 && { detail }),
  };
}

function statusOf(err: unknown): number {
  return err instanceof GatewayError ? err.status : 500;
}

function isStream(body: unknown): body is Readable {
  return typeof body === 'object' && body !== null && typeof (body as Readable).pipe === 'function' && typeof (body as Readable).destroy === 'function';
}

/**
 * A streamed answer is not held back while its event is written (the stream
 * may already be flowing and its errors must reach the client as they happen);
 * in fail-closed mode a failed write cuts it, so it never completes unaudited.
 */
function recordBesideStream(ctx: Context, trail: AuditTrail, event: AuditEvent, body: Readable): void {
  trail.record(event).catch(() => {
    if (!trail.config.failClosed) return;
    body.destroy();
    ctx.req.socket.destroy();
  });
}

export function auditMiddleware(trail: AuditTrail) {
  const failClosed = trail.config.failClosed;
  return async function audit(ctx: Context, next: Next): Promise<void> {
    const kind = ctx.state.routeKind as RouteKind;
    ctx.state.auditFacts = new AuditFacts();
    if (!trail.enabled || kind === 'probe' || kind === 'preflight') return next();
    if (failClosed && !trail.healthy && !(await trail.recover())) throw new AuditUnavailableError();
    let error: unknown;
    try {
      await next();
    } catch (err) {
      error = err;
    }
    const status = error ? statusOf(error) : ctx.status;
    const event = buildEvent(ctx, kind, status, error, trail);
    if (event && !error && isStream(ctx.body)) {
      recordBesideStream(ctx, trail, event, ctx.body);
    } else if (event) {
      try {
        await trail.record(event);
      } catch {
        if (failClosed) throw new AuditUnavailableError();
      }
    }
    if (error) throw error;
  };
}
