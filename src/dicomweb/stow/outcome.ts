/**
 * What happened to one part of a STOW-RS request: the vocabulary shared by
 * validation, forwarding and the response (PS3.18 Annex I).
 */
import { hex4 } from './reasons.js';

/** Identifiers of an instance as far as they could be read (a broken part may have none). */
export interface InstanceRef {
  /** 1-based position of the part in the request, for messages. */
  part: number;
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyUid?: string;
  seriesUid?: string;
}

export interface ReasonDetail {
  /** Failure or warning reason code (Annex I Tables I.2-1, I.2-2). */
  code: number;
  /** Human-readable text naming what failed (sent as Error Comment (0000,0902)). */
  comment: string;
  /** The archive was unavailable: the same request may succeed later (not sent). */
  retryable?: boolean;
}

export type InstanceOutcome =
  | { kind: 'stored'; ref: InstanceRef; warning?: ReasonDetail }
  | { kind: 'failed'; ref: InstanceRef; failure: ReasonDetail };

/** Thrown by a pipeline stage to reject one instance; never escapes the pipeline. */
export class InstanceFailure extends Error {
  /** What is known of the instance, attached by the stage that knew it. */
  ref?: InstanceRef;

  constructor(readonly code: number, comment: string, readonly retryable = false) {
    super(comment);
    this.name = 'InstanceFailure';
  }

  get detail(): ReasonDetail {
    return { code: this.code, comment: this.message, ...(this.retryable && { retryable: true }) };
  }
}

/** A failure not tied to one instance (Other Failures Sequence (0008,119A)), e.g. a request cut short. */
export interface RequestFailure extends ReasonDetail {
  /** HTTP status the request would get if nothing was stored (400, 413...). */
  status: number;
}

export function describeReason(detail: ReasonDetail): string {
  return `0x${hex4(detail.code)} ${detail.comment}`;
}
