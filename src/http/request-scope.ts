/**
 * Per-request values that outlive the Koa context's reach (e.g. into a
 * coalesced cache load or the upstream client): request id and W3C trace
 * context, carried with AsyncLocalStorage. One storage per app, passed in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface RequestScope {
  requestId: string;
  /** Who the request is from ("kind:id"), once authentication named a principal (recordCaller). */
  caller?: string;
  /** W3C traceparent to send upstream: the client's trace with a new span id, or a new trace. */
  readonly traceparent: string;
}

/** A scope whose traceparent is made on first use: requests answered from a cache never pay for it. */
export function requestScope(requestId: string, incomingTraceparent: string | undefined): RequestScope {
  let traceparent: string | undefined;
  return {
    requestId,
    get traceparent() {
      traceparent ??= nextTraceparent(incomingTraceparent);
      return traceparent;
    },
  };
}

export type RequestScopeStorage = AsyncLocalStorage<RequestScope>;

/** Middleware after authentication: puts the principal into the request's scope, for modules that do not see the Koa context. */
export function recordCaller(scope: RequestScopeStorage) {
  return async function recordCallerInScope(ctx: { state: { principal?: { kind: string; id: string } } }, next: () => Promise<void>): Promise<void> {
    const store = scope.getStore();
    const principal = ctx.state.principal;
    if (store && principal) store.caller = `${principal.kind}:${principal.id}`;
    await next();
  };
}

export function createRequestScopeStorage(): RequestScopeStorage {
  return new AsyncLocalStorage<RequestScope>();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Continues a valid incoming trace (new parent id = this hop), else starts one (W3C Trace Context §3.2). */
export function nextTraceparent(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const traceId = match && !/^0+$/.test(match[1]!) ? match[1]! : randomBytes(16).toString('hex');
  const flags = match ? match[3]! : '01';
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}
