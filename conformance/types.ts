/**
 * Shapes shared by the conformance cases, the runner and the reports.
 */
import type { HttpAnswer, RequestOptions } from './http.js';

export interface CaseContext {
  /** DICOMweb root under test, without a trailing slash, e.g. http://host:8042/dicom-web */
  baseUrl: string;
  /** GET `${baseUrl}${pathAndQuery}`; the body is always read completely. */
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  /** Any request to `${baseUrl}${pathAndQuery}` (e.g. a STOW-RS POST); the body is always read completely. */
  send(pathAndQuery: string, opts: Omit<RequestOptions, 'signal'>): Promise<HttpAnswer>;
  /** Aborted when the case runs out of time. */
  signal: AbortSignal;
}

export interface ConformanceCase {
  /** Stable identifier, e.g. QIDO-07. */
  id: string;
  /** Where the requirement is written, e.g. "PS3.18 §8.3.4.1, PS3.4 C.2.2.2.4". */
  section: string;
  title: string;
  /** Throws (an assertion) on failure; throws CaseSkip when it cannot apply. */
  run(ctx: CaseContext): Promise<void>;
  /**
   * Set on a case that checks a real requirement which a known target (the gateway)
   * does not meet yet: it runs and is reported, but does not gate the exit status.
   */
  pending?: string;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  id: string;
  section: string;
  title: string;
  outcome: Outcome;
  /** Failure or skip reason. */
  message?: string;
  ms: number;
  pending?: string;
}
