/**
 * Request plumbing shared by the /api/identity and /api/reconciliation
 * routes: bounded body reading, JSON and CSV bodies, paging and filter
 * parameters (unknown ones are a 400 naming them), who is calling, audit facts.
 */
import type { Context } from 'koa';
import { BadRequestError } from '../http/errors.js';
import type { AuditFacts } from '../security/audit/facts.js';
import type { Principal } from '../security/principal.js';
import { BodyTooLargeError, MethodNotAllowedError, UnsupportedBodyTypeError } from './errors.js';

export const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

/** The request body, at most maxBytes (the edge checks a declared length; this also bounds chunked bodies). */
export async function readBody(ctx: Context, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      ctx.set('Connection', 'close');
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The media type of the body, lower-cased, without parameters. */
export function bodyType(ctx: Context): string {
  return (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError('INVALID_JSON', `The body is not valid JSON (${(err as Error).message.slice(0, 120)}).`, { parameter: 'body' });
  }
}

/** A JSON body (application/json or +json); an empty body is `{}` when allowed. */
export async function readJson(ctx: Context, maxBytes: number, emptyAllowed = false): Promise<unknown> {
  const type = bodyType(ctx);
  const body = await readBody(ctx, maxBytes);
  if (body.length === 0 && emptyAllowed) return {};
  if (type !== 'application/json' && !type.endsWith('+json')) throw new UnsupportedBodyTypeError(ctx.get('content-type'), ['application/json']);
  return parseJson(body.toString('utf8'));
}

/** Query parameters, each at most once, only the known ones. */
export function queryParams(ctx: Context, known: readonly string[]): Map<string, string> {
  const params = new URLSearchParams(ctx.querystring);
  const out = new Map<string, string>();
  for (const [name, value] of params) {
    if (!known.includes(name)) throw new BadRequestError('UNKNOWN_PARAMETER', `Unknown parameter "${name.slice(0, 40)}"; use ${known.join(', ')}.`, { parameter: name.slice(0, 40) });
    if (out.has(name)) throw new BadRequestError('DUPLICATE_PARAMETER', `"${name}" is given more than once.`, { parameter: name });
    if (value !== '') out.set(name, value);
  }
  return out;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new BadRequestError('BAD_PAGING', `"${name}" must be an integer from ${min} to ${max}, got "${text.slice(0, 20)}".`, { parameter: name });
  }
  return Number(text);
}

export function paging(params: Map<string, string>): { limit: number; offset: number } {
  return { limit: integer('limit', params.get('limit'), DEFAULT_PAGE, 1, MAX_PAGE), offset: integer('offset', params.get('offset'), 0, 0, 1e9) };
}

/** Principal id for createdBy / decision.by ("anonymous" when anonymous access is allowed). */
export function principalId(ctx: Context): string {
  return (ctx.state.principal as Principal | undefined)?.id ?? 'unauthenticated';
}

/** The request's audit facts (the audit middleware writes them into the Patient Record event). */
export function auditFacts(ctx: Context): AuditFacts | undefined {
  return ctx.state.auditFacts as AuditFacts | undefined;
}

/** A handler for the methods a path does not support: 405 with Allow. */
export function methodNotAllowed(allowed: readonly string[]) {
  return (ctx: Context) => {
    ctx.set('Allow', allowed.join(', '));
    throw new MethodNotAllowedError(ctx.method, allowed);
  };
}
