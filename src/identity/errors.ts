/**
 * Typed errors of the identity API (mapped to problem+json by
 * src/http/error-middleware.ts). Stable codes: clients and tests rely on them.
 */
import { GatewayError, type ProblemExtras } from '../http/errors.js';
import type { FieldError } from './types.js';
import type { RowError } from './import.js';

/** 400 naming the first field at fault, with the full list in `errors`. */
export class InvalidFieldsError extends GatewayError {
  constructor(code: string, what: string, readonly errors: readonly FieldError[]) {
    super(400, code, 'Bad request', `${what}: ${errors.map((e) => e.message).join('; ')}.`, { parameter: errors[0]?.field ?? 'body', errors: [...errors] } as ProblemExtras);
  }
}

/** 400 of a bulk import: nothing was stored; every row problem is listed. */
export class ImportRejectedError extends GatewayError {
  constructor(errors: readonly RowError[], errorCount: number) {
    const first = errors[0];
    const summary = first ? ` The first: row ${first.row}, ${first.field}: ${first.message}.` : '';
    super(400, 'IDENTITY_IMPORT_INVALID', 'Bad request', `The import was not applied (nothing stored): ${errorCount} problem${errorCount === 1 ? '' : 's'} found.${summary}`, {
      parameter: first?.field ?? 'body',
      errorCount,
      errors: [...errors],
    });
  }
}

export class UnsupportedBodyTypeError extends GatewayError {
  constructor(got: string, supported: readonly string[]) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', `The body must be ${supported.join(' or ')}; got "${got.slice(0, 80) || 'no Content-Type'}".`, { supported: [...supported] });
  }
}

export class BodyTooLargeError extends GatewayError {
  constructor(maxBytes: number) {
    super(413, 'BODY_TOO_LARGE', 'Payload too large', `The request body is larger than ${maxBytes} bytes (security.limits.maxBodyBytes); split the import into smaller files.`);
  }
}

/** 409: the reconciliation item was already decided. */
export class ItemClosedError extends GatewayError {
  constructor(id: string, status: string) {
    super(409, 'RECONCILIATION_ITEM_CLOSED', 'Conflict', `Reconciliation item ${id} is already ${status}; only open items take link, reject or resolve.`, { status });
  }
}

export class MethodNotAllowedError extends GatewayError {
  constructor(method: string, allowed: readonly string[]) {
    super(405, 'METHOD_NOT_ALLOWED', 'Method not allowed', `${method} is not supported on this resource; use ${allowed.join(', ')}.`, { allowed: [...allowed] });
  }
}
