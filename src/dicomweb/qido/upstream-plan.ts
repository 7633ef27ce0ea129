/**
 * Splits a QIDO query into what the upstream can evaluate faithfully and what
 * the gateway must evaluate itself, and writes the upstream's query string.
 *
 * The upstream profile is conservative: Orthanc does not percent-decode query
 * values, so only values made of characters that need no encoding are sent;
 * it ignores fuzzymatching; and it matches reliably only on the attributes it
 * indexes. Anything else is matched by the gateway (matching.ts) over a bounded
 * scan of the upstream's answer.
 */
import { ALL_ATTRIBUTES, REQUIRED_ATTRIBUTES, levelsIncluded } from './levels.js';
import { tagOf } from '../../dicom/dictionary.js';
import type { QidoQuery, QueryFilter } from './query.js';

/** Attributes the upstream indexes and matches itself (Orthanc's main DICOM tags). */
const UPSTREAM_MATCHABLE = new Set(
  [
    'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'AccessionNumber',
    'StudyInstanceUID', 'StudyID', 'StudyDescription', 'ReferringPhysicianName', 'ModalitiesInStudy',
    'InstitutionName', 'SeriesInstanceUID', 'SeriesNumber', 'SeriesDescription', 'Modality', 'BodyPartExamined',
    'ProtocolName', 'SeriesDate', 'SeriesTime', 'Manufacturer', 'StationName', 'SOPInstanceUID', 'InstanceNumber',
  ].map(tagOf),
);

/** Characters that reach the upstream unchanged without percent-encoding. */
const SAFE_VALUE = /^[A-Za-z0-9.*?^,_-]*$/;

export interface UpstreamPlan {
  /** Path under the upstream DICOMweb root, built from validated UIDs only. */
  path: string;
  /** Raw query string for the upstream. */
  query: string;
  /** Filters the gateway evaluates on the upstream's answer. */
  localFilters: QueryFilter[];
  /** True when offset/limit are applied by the gateway after local matching. */
  localPaging: boolean;
  /** Upstream results requested; one more than needed, to detect truncation. */
  upstreamLimit: number;
}

export function isForwardable(filter: QueryFilter, query: Pick<QidoQuery, 'fuzzy' | 'emptyValueMatching'>): boolean {
  const fuzzy = query.fuzzy;
  // Upstreams do not know empty-value matching: the gateway matches such queries itself.
  if (query.emptyValueMatching) return false;
  if (filter.path.length !== 1 || !UPSTREAM_MATCHABLE.has(filter.path[0]!.tag)) return false;
  if (!SAFE_VALUE.test(filter.value)) return false;
  if (filter.vr === 'PN' && fuzzy) return false;
  if (filter.kind === 'list' && filter.vr !== 'UI') return false;
  if (filter.kind === 'range' && filter.vr === 'DT') return false;
  return true;
}

const RESOURCE_NAMES = { study: 'studies', series: 'series', instance: 'instances' } as const;

export function searchPath(query: QidoQuery): string {
  const plural = RESOURCE_NAMES[query.level];
  if (query.seriesUid) return `/studies/${query.studyUid}/series/${query.seriesUid}/${plural}`;
  if (query.studyUid && query.level !== 'study') return `/studies/${query.studyUid}/${plural}`;
  return `/${plural}`;
}

/** The tags to ask the upstream for: required, requested, and those the gateway matches on. */
export function returnTags(query: QidoQuery, localFilters: readonly QueryFilter[]): string[] {
  const tags = new Set<string>();
  const levels = levelsIncluded(query.level);
  for (const level of levels) for (const k of REQUIRED_ATTRIBUTES[level]) if (k !== 'RetrieveURL') tags.add(tagOf(k));
  if (query.includeAll) for (const k of ALL_ATTRIBUTES[query.level]) if (k !== 'RetrieveURL') tags.add(tagOf(k));
  for (const path of query.includeFields) tags.add(path[0]!.tag);
  for (const f of localFilters) tags.add(f.path[0]!.tag);
  return [...tags].sort();
}

export function planUpstream(query: QidoQuery, effectiveLimit: number, maxScan: number): UpstreamPlan {
  const forwarded = query.filters.filter((f) => f.kind !== 'universal' && isForwardable(f, query));
  const localFilters = query.filters.filter((f) => f.kind !== 'universal' && !forwarded.includes(f));
  const localPaging = localFilters.length > 0;
  const parts = forwarded.map((f) => `${f.path[0]!.tag}=${f.value}`);
  const tags = returnTags(query, localFilters);
  if (tags.length > 0) parts.push(`includefield=${tags.join(',')}`);
  const upstreamLimit = localPaging ? maxScan + 1 : effectiveLimit + 1;
  parts.push(`limit=${upstreamLimit}`);
  if (!localPaging && query.offset > 0) parts.push(`offset=${query.offset}`);
  return { path: searchPath(query), query: parts.join('&'), localFilters, localPaging, upstreamLimit };
}
