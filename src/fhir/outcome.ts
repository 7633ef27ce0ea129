/**
 * FHIR answers: application/fhir+json bodies, and errors as OperationOutcome
 * (FHIR R4 §3.1.0.4.1: a failed interaction SHOULD return an OperationOutcome)
 * with the HTTP status of the gateway's typed error: 400 bad parameter, 404
 * unknown or hidden study, 502/503/504 archive problems. Errors that are not
 * GatewayErrors are rethrown, so errorMiddleware logs them and answers 500.
 */
import type { Context, Next } from 'koa';
import { GatewayError } from '../http/errors.js';

export const FHIR_JSON = 'application/fhir+json';

/** FHIR issue-type codes (http://hl7.org/fhir/R4/valueset-issue-type.html) by HTTP status. */
function issueCode(err: GatewayError): string {
  if (err.status === 400) return /NOT_SUPPORTED|_FORMAT/.test(err.code) ? 'not-supported' : 'invalid';
  const byStatus: Record<number, string> = { 401: 'login', 403: 'forbidden', 404: 'not-found', 406: 'not-supported', 429: 'throttled', 503: 'transient', 504: 'timeout' };
  return byStatus[err.status] ?? (err.status >= 500 && err.status < 600 && err.status !== 500 ? 'transient' : 'exception');
}

export function operationOutcome(err: GatewayError): Record<string, unknown> {
  const parameter = typeof err.extras.parameter === 'string' ? err.extras.parameter : undefined;
  return {
    resourceType: 'OperationOutcome',
    issue: [{
      severity: 'error',
      code: issueCode(err),
      details: { coding: [{ system: 'urn:dicomweb-gateway:error-code', code: err.code }], text: err.title },
      diagnostics: err.detail,
      ...(parameter !== undefined && { expression: [parameter] }),
    }],
  };
}

export function sendFhir(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = FHIR_JSON;
  ctx.body = JSON.stringify(body);
}

/** Wraps the FHIR routes: every GatewayError becomes an OperationOutcome with the error's status. */
export function fhirErrors() {
  return async function answerOperationOutcome(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      if (!(err instanceof GatewayError) || ctx.headerSent) throw err;
      ctx.remove('ETag');
      ctx.set('Cache-Control', 'no-store');
      const retry = err.extras.retryAfterSeconds;
      if (retry !== undefined) ctx.set('Retry-After', String(retry));
      sendFhir(ctx, err.status, operationOutcome(err));
    }
  };
}
