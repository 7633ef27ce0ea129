/**
 * Reconciliation REST API (JSON; admin role; audited as DICOM "Patient
 * Record" events, with the patients, the study, the action and the item added here):
 * - GET  /api/reconciliation?status=open|linked|rejected|resolved|all&reason=&ehrId=&ehrIssuer=&limit=&offset=  (status defaults to open)
 * - GET  /api/reconciliation/{id}
 * - POST /api/reconciliation/{id}/link     {patientId, issuerOfPatientId?, note?}
 * - POST /api/reconciliation/{id}/reject   {note?}
 * - POST /api/reconciliation/{id}/resolve  {note}
 * Actions answer 200 with the item as decided; 409 when it was already decided.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { BadRequestError, NotFoundError } from '../http/errors.js';
import { auditFacts, methodNotAllowed, paging, principalId, queryParams, readJson } from './http.js';
import type { ReconciliationRepository } from './reconciliation-repository.js';
import type { ActionResult, ReconciliationActions } from './reconciliation-actions.js';
import { RECONCILIATION_REASONS, RECONCILIATION_STATUSES, type ReconciliationItem, type ReconciliationReason, type ReconciliationStatus } from './types.js';

export interface ReconciliationApiDeps {
  items: ReconciliationRepository;
  actions: ReconciliationActions;
  maxBodyBytes: number;
}

export const RECONCILIATION_PATH = '/api/reconciliation';
const LIST_PARAMETERS = ['status', 'reason', 'ehrId', 'ehrIssuer', 'limit', 'offset'];

/** The item as the API shows it: with the URLs of its actions while it is open. */
export function itemView(item: ReconciliationItem): ReconciliationItem & { actions?: Record<string, string> } {
  if (item.status !== 'open') return item;
  const base = `${RECONCILIATION_PATH}/${item.id}`;
  return { ...item, actions: { link: `${base}/link`, reject: `${base}/reject`, resolve: `${base}/resolve` } };
}

function auditItems(ctx: Context, action: string, items: readonly ReconciliationItem[]): void {
  const facts = auditFacts(ctx);
  if (!facts) return;
  facts.detail.action = action;
  if (items.length === 1) facts.detail.item = items[0]!.id;
  for (const item of items) {
    facts.addPatients([{ id: item.ehr.id, issuer: item.ehr.issuer }]);
    if (item.study) {
      facts.addStudy(item.study.studyInstanceUid);
      facts.addPatients([{ id: item.study.patientId, ...(item.study.issuerOfPatientId && { issuer: item.study.issuerOfPatientId }) }]);
    }
    const linked = item.decision?.linkedTo;
    if (linked) facts.addPatients([{ id: linked.patientId, ...(linked.issuerOfPatientId && { issuer: linked.issuerOfPatientId }) }]);
  }
}

function listFilter(params: Map<string, string>) {
  const status = params.get('status') ?? 'open';
  if (status !== 'all' && !(RECONCILIATION_STATUSES as readonly string[]).includes(status)) {
    throw new BadRequestError('RECONCILIATION_BAD_STATUS', `"status" must be one of ${RECONCILIATION_STATUSES.join(', ')} or all, got "${status.slice(0, 20)}".`, { parameter: 'status' });
  }
  const reason = params.get('reason');
  if (reason !== undefined && !(RECONCILIATION_REASONS as readonly string[]).includes(reason)) {
    throw new BadRequestError('RECONCILIATION_BAD_REASON', `"reason" must be one of ${RECONCILIATION_REASONS.join(', ')}, got "${reason.slice(0, 40)}".`, { parameter: 'reason' });
  }
  return {
    ...(status !== 'all' && { status: status as ReconciliationStatus }),
    ...(reason !== undefined && { reason: reason as ReconciliationReason }),
    ...(params.has('ehrId') && { ehrId: params.get('ehrId')! }),
    ...(params.has('ehrIssuer') && { ehrIssuer: params.get('ehrIssuer')! }),
    ...paging(params),
  };
}

type Action = 'link' | 'reject' | 'resolve';

export function createReconciliationHandlers(deps: ReconciliationApiDeps) {
  const { items, actions } = deps;
  function decide(action: Action) {
    return async (ctx: Context): Promise<void> => {
      const body = await readJson(ctx, deps.maxBodyBytes, action !== 'resolve');
      const result: ActionResult = await actions[action](ctx.params.id!, body, principalId(ctx));
      auditItems(ctx, `reconciliation.${action}`, [result.item]);
      if (result.link) Object.assign(auditFacts(ctx)?.detail ?? {}, { link: result.link.id });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { ...itemView(result.item), ...(result.link && { link: result.link }) };
    };
  }
  return {
    async handleListReconciliation(ctx: Context): Promise<void> {
      const filter = listFilter(queryParams(ctx, LIST_PARAMETERS));
      const { items: found, total } = await items.list(filter);
      auditItems(ctx, 'reconciliation.list', found);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { items: found.map(itemView), total, limit: filter.limit, offset: filter.offset };
    },
    async handleGetReconciliationItem(ctx: Context): Promise<void> {
      const item = await items.get(ctx.params.id!);
      if (!item) throw new NotFoundError(`No reconciliation item ${ctx.params.id!.slice(0, 64)}.`, 'RECONCILIATION_ITEM_NOT_FOUND');
      auditItems(ctx, 'reconciliation.read', [item]);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = itemView(item);
    },
    handleLinkItem: decide('link'),
    handleRejectItem: decide('reject'),
    handleResolveItem: decide('resolve'),
  };
}

export function registerReconciliationRoutes(router: Router, deps: ReconciliationApiDeps): void {
  const h = createReconciliationHandlers(deps);
  router.get(RECONCILIATION_PATH, h.handleListReconciliation);
  router.get(`${RECONCILIATION_PATH}/:id`, h.handleGetReconciliationItem);
  router.post(`${RECONCILIATION_PATH}/:id/link`, h.handleLinkItem);
  router.post(`${RECONCILIATION_PATH}/:id/reject`, h.handleRejectItem);
  router.post(`${RECONCILIATION_PATH}/:id/resolve`, h.handleResolveItem);
  router.all(RECONCILIATION_PATH, methodNotAllowed(['GET']));
  router.all(`${RECONCILIATION_PATH}/:id`, methodNotAllowed(['GET']));
  for (const action of ['link', 'reject', 'resolve']) router.all(`${RECONCILIATION_PATH}/:id/${action}`, methodNotAllowed(['POST']));
}
