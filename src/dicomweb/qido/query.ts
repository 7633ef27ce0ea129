/**
 * The parsed, validated form of a QIDO-RS request (PS3.18 §10.6.1, §8.3.4).
 */
import type { AttributeInfo } from '../../dicom/dictionary.js';
import type { QueryLevel } from './levels.js';

/** PS3.4 C.2.2.2: universal, single value, wildcard, range and list-of-UID matching. */
export type MatchKind = 'universal' | 'single' | 'wildcard' | 'range' | 'list';

export interface QueryFilter {
  /** The parameter name as the client wrote it, for error messages. */
  param: string;
  /** Attribute path; length 1 for top-level attributes. */
  path: AttributeInfo[];
  /** VR of the matched (last) attribute. */
  vr: string;
  kind: MatchKind;
  value: string;
  /** For 'list': the values; for 'range': [from, to] with '' for an open side. */
  values: string[];
}

export interface QidoQuery {
  level: QueryLevel;
  studyUid?: string;
  seriesUid?: string;
  filters: QueryFilter[];
  includeAll: boolean;
  /** Attribute paths the client asked to have returned. */
  includeFields: AttributeInfo[][];
  fuzzy: boolean;
  /** PS3.18 Table 8.3.4-1: attributes without a value also match (the gateway then matches itself). */
  emptyValueMatching: boolean;
  /** PS3.18 Table 8.3.4-1: a multi-valued attribute matches if any value matches (always so here). */
  multipleValueMatching: boolean;
  /** Client's limit, if any (the gateway's maximum is applied later). */
  limit?: number;
  offset: number;
}
