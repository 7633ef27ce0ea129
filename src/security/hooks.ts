/**
 * The calls other modules make into the security layer:
 * - authorizeStudyParam: src/dicomweb/routes.ts, for every {study} path parameter;
 * - filterSearchAnswer: QIDO-RS handlers, after the (shared) cache;
 * - assertMayStore / storeAuthorizer: STOW-RS, once per instance before it is stored.
 * Each fails closed when the security middleware did not run.
 */
import type { Context } from 'koa';
import { makeAnswer, type CachedAnswer } from '../cache/metadata-cache.js';
import { GatewayError } from '../http/errors.js';
import type { RequestAccess, StoreTarget } from './access.js';
import type { Principal } from './principal.js';
import { InstanceFailure } from '../dicomweb/stow/outcome.js';
import { FailureReason } from '../dicomweb/stow/reasons.js';
import { StoreNotAuthorizedError } from './errors.js';

export type { StoreTarget } from './access.js';

function notInstalled(): GatewayError {
  return new GatewayError(500, 'SECURITY_NOT_INSTALLED', 'Internal error', 'The gateway\'s security layer did not run for this request; the request was refused.');
}

export function accessOf(ctx: Pick<Context, 'state'>): RequestAccess {
  const access = ctx.state.access as RequestAccess | undefined;
  if (!access) throw notInstalled();
  return access;
}

/** 404 (as for a study that does not exist) when the caller may not see the study. */
export async function authorizeStudyParam(ctx: Context, studyUid: string): Promise<void> {
  await accessOf(ctx).authorizeStudy(studyUid, ctx.method === 'POST');
}

/**
 * Removes the rows of a cross-study search the caller may not see. The cached
 * answer is shared by all callers, so it is never changed: a restricted caller
 * gets a filtered copy (new body, new ETag); everyone else the answer as is.
 */
export async function filterSearchAnswer(ctx: Context, answer: CachedAnswer): Promise<CachedAnswer> {
  const access = accessOf(ctx);
  if (!access.restricted || ctx.params?.study) return answer; // study-scoped: authorizeStudyParam already decided
  if (answer.status !== 200 && answer.status !== 204) return answer;
  // Count-based warnings ("more results than the limit") would tell that hidden rows exist: every restricted answer gets one fixed warning.
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.toLowerCase() !== 'warning'));
  headers.warning = FILTERED_WARNING;
  let rows: unknown = [];
  if (answer.status === 200) {
    try {
      rows = JSON.parse(answer.body.toString('utf8'));
    } catch {
      rows = [];
    }
  }
  const kept = Array.isArray(rows) ? await access.filterRows(rows) : [];
  // Like any search without a match (204), so an all-hidden answer looks like an empty one.
  if (kept.length === 0) return makeAnswer(204, Buffer.alloc(0), headers);
  return makeAnswer(200, Buffer.from(JSON.stringify(kept)), headers);
}

/** One exact value (no `*` / `?` pattern), or undefined. */
function exactlyOne(values: readonly string[] | undefined): string | undefined {
  return values?.length === 1 && !/[*?]/.test(values[0]!) ? values[0] : undefined;
}

function hasKey(querystring: string, names: readonly string[]): boolean {
  return querystring.split('&').some((pair) => {
    const key = pair.split('=')[0] ?? '';
    try {
      return names.includes(decodeURIComponent(key).toLowerCase());
    } catch {
      return names.includes(key.toLowerCase()); // malformed escapes: the QIDO parser answers 400 for them
    }
  });
}

/**
 * QIDO-RS for a caller restricted to exactly one patient (one PatientID, at most
 * one issuer, no patterns): the search is asked of the archive for that patient,
 * so `limit` and `offset` page the caller's own results instead of counting rows
 * the filter above then hides. Called by the QIDO handlers before parsing.
 */
export function narrowSearchToCaller(ctx: Pick<Context, 'state'> & { params?: Record<string, string | undefined> }, querystring: string): string {
  const restriction = (ctx.state.principal as Principal | undefined)?.restriction;
  const patientId = exactlyOne(restriction?.patientIds);
  // Study-scoped searches are decided whole by authorizeStudyParam.
  if (!restriction || !patientId || restriction.studies || ctx.params?.study) return querystring;
  const added: string[] = [];
  if (!hasKey(querystring, ['patientid', '00100020'])) added.push(`PatientID=${encodeURIComponent(patientId)}`);
  const issuer = exactlyOne(restriction.issuers);
  if (issuer && !hasKey(querystring, ['issuerofpatientid', '00100021'])) added.push(`IssuerOfPatientID=${encodeURIComponent(issuer)}`);
  return [querystring, ...added].filter((part) => part.length > 0).join('&');
}

const FILTERED_WARNING = '299 dicomweb-gateway "Results are limited to the patients and studies you may access; limit and offset count before this filter"';

/**
 * STOW-RS, per instance, before storing: throws StoreNotAuthorizedError (status
 * 403, code STORE_NOT_AUTHORIZED) when the caller may not store it; STOW reports
 * that instance with failure reason 0x0124 (Refused: not authorized).
 */
export async function assertMayStore(access: RequestAccess | undefined, target: StoreTarget): Promise<void> {
  if (!access) throw notInstalled();
  await access.assertMayStore(target);
}

/** assertMayStore for STOW-RS's pipeline: a refusal becomes that instance's failure 0x0124 (Refused: not authorized, PS3.7 Annex C). */
export function storeAuthorizer(ctx: Pick<Context, 'state'>): (target: StoreTarget) => Promise<void> {
  const access = ctx.state.access as RequestAccess | undefined;
  return async (target) => {
    try {
      await assertMayStore(access, target);
    } catch (err) {
      if (err instanceof StoreNotAuthorizedError) throw new InstanceFailure(FailureReason.NOT_AUTHORIZED, err.detail);
      throw err;
    }
  };
}
