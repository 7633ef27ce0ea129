/**
 * GET /admin/audit — the audit log for security officers (admin role), newest
 * first. Query parameters: since, until (ISO 8601), user, type (event type or
 * EventID code), study, patient, outcome (0|4|8|12|failure), limit (≤ 1000).
 * Reading the log is itself audited ("Audit Log Used", PS3.15 A.5.3.2).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { BadRequestError } from '../../http/errors.js';
import { readAuditEvents, type AuditFilter } from './reader.js';
import type { AuditTrail } from './trail.js';

const PARAMETERS = new Set(['since', 'until', 'user', 'type', 'study', 'patient', 'outcome', 'limit']);

function dateParam(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new BadRequestError('AUDIT_BAD_DATE', `"${name}" must be an ISO 8601 date or date-time, got "${value.slice(0, 40)}".`, { parameter: name });
  return date;
}

export function parseAuditFilter(query: URLSearchParams): AuditFilter {
  for (const name of query.keys()) {
    if (!PARAMETERS.has(name)) throw new BadRequestError('AUDIT_UNKNOWN_PARAMETER', `Unknown parameter "${name.slice(0, 40)}"; use ${[...PARAMETERS].join(', ')}.`, { parameter: name });
  }
  const get = (name: string) => query.get(name) ?? undefined;
  const limitText = get('limit') ?? '100';
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000) {
    throw new BadRequestError('AUDIT_BAD_LIMIT', '"limit" must be an integer from 1 to 1000.', { parameter: 'limit' });
  }
  const outcomeText = get('outcome');
  if (outcomeText !== undefined && !/^(0|4|8|12|failure)$/.test(outcomeText)) {
    throw new BadRequestError('AUDIT_BAD_OUTCOME', '"outcome" must be 0, 4, 8, 12 or failure.', { parameter: 'outcome' });
  }
  const filter: AuditFilter = { limit: Number(limitText) };
  const since = dateParam('since', get('since'));
  const until = dateParam('until', get('until'));
  if (since) filter.since = since;
  if (until) filter.until = until;
  for (const key of ['user', 'type', 'study', 'patient'] as const) {
    const value = get(key);
    if (value !== undefined) filter[key] = value;
  }
  if (outcomeText !== undefined) filter.outcome = outcomeText === 'failure' ? 'failure' : Number(outcomeText);
  return filter;
}

export function auditRouter(trail: AuditTrail): Router {
  const router = new Router();
  router.get('/admin/audit', async (ctx: Context) => {
    const filter = parseAuditFilter(new URLSearchParams(ctx.querystring));
    const { events, more } = await readAuditEvents(trail.dir, filter);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { events, count: events.length, more };
  });
  return router;
}
