/**
 * Security errors, mapped to problem+json by src/http/error-middleware.ts like
 * every other GatewayError. Messages say what is wrong and what to do, never
 * which part of a token's signature check failed beyond what RFC 6750 allows.
 */
import { GatewayError } from '../http/errors.js';

/** 401: credentials absent or invalid (RFC 6750 §3.1 invalid_token / no error code). */
export class UnauthorizedError extends GatewayError {
  constructor(code: string, detail: string, readonly bearerError?: 'invalid_token' | 'invalid_request') {
    super(401, code, 'Authentication required', detail);
  }
}

/** 403: authenticated, but the role (scope) the transaction needs is missing (RFC 6750 insufficient_scope). */
export class ForbiddenError extends GatewayError {
  constructor(code: string, detail: string, readonly requiredRole?: string) {
    super(403, code, 'Forbidden', detail, requiredRole ? { requiredRole } : {});
  }
}

/** 429: this client identity exceeded its rate limit. */
export class TooManyRequestsError extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', 'Too many requests', `This client sent more requests than its rate limit allows; retry after ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }
}

/** 503: the audit trail cannot be written and security.audit.failClosed is set. */
export class AuditUnavailableError extends GatewayError {
  constructor() {
    super(503, 'AUDIT_UNAVAILABLE', 'Audit trail unavailable', 'The audit trail cannot be written, so no PHI is served (security.audit.failClosed). Operators: check the audit folder (disk space, permissions).', { retryAfterSeconds: 5 });
  }
}

/** An instance the caller may not store; STOW-RS reports it as failure 0x0124 "Refused: not authorized". */
export class StoreNotAuthorizedError extends GatewayError {
  constructor(detail: string) {
    super(403, 'STORE_NOT_AUTHORIZED', 'Forbidden', detail);
  }
}

/** 413 / 414 / 431 and malformed request targets, answered before anything else runs. */
export class RequestLimitError extends GatewayError {
  constructor(status: 400 | 413 | 414 | 431, code: string, detail: string, parameter?: string) {
    super(status, code, status === 400 ? 'Bad request' : 'Request too large', detail, parameter ? { parameter } : {});
  }
}
