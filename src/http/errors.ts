/**
 * Typed errors with stable codes. Handlers throw these; one middleware
 * (error-middleware.ts) maps them to RFC 9457 problem+json responses.
 */
export interface ProblemExtras {
  /** The query parameter or path segment at fault, when there is one. */
  parameter?: string;
  /** Seconds after which a retry makes sense (sent as Retry-After). */
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }

  get detail(): string {
    return this.message;
  }
}

/** 400: a query parameter or path segment is malformed (PS3.18 §8.3.4, §10.6.1). */
export class BadRequestError extends GatewayError {
  constructor(code: string, detail: string, extras: ProblemExtras = {}) {
    super(400, code, 'Bad request', detail, extras);
  }
}

export class NotFoundError extends GatewayError {
  constructor(detail: string, code = 'NOT_FOUND') {
    super(404, code, 'Not found', detail);
  }
}

export class NotAcceptableError extends GatewayError {
  constructor(detail: string, readonly supported: readonly string[]) {
    super(406, 'NOT_ACCEPTABLE', 'Not acceptable', detail, { supported: [...supported] });
  }
}

/** The upstream could not be reached at all (refused, DNS, TLS). */
export class UpstreamUnreachableError extends GatewayError {
  constructor(upstream: string, cause: string) {
    super(
      502,
      'UPSTREAM_UNREACHABLE',
      'Image archive unreachable',
      `The image archive "${upstream}" cannot be reached (${cause}). Images and searches are unavailable until the connection is restored; contact the PACS administrator if this persists.`,
      { upstream },
    );
  }
}

export class UpstreamTimeoutError extends GatewayError {
  constructor(upstream: string, phase: string) {
    super(
      504,
      'UPSTREAM_TIMEOUT',
      'Image archive timed out',
      `The image archive "${upstream}" did not answer in time (${phase}). It may be overloaded; try again shortly.`,
      { upstream },
    );
  }
}

/** The upstream answered, but with an error status or a body that cannot be understood. */
export class UpstreamFailureError extends GatewayError {
  constructor(upstream: string, detail: string, status = 502, code = 'UPSTREAM_ERROR', extras: ProblemExtras = {}) {
    super(status, code, 'Image archive error', `The image archive "${upstream}" ${detail}`, { upstream, ...extras });
  }
}
