/**
 * Normalizes upstream search results to what PS3.18 requires of the gateway:
 * every required return attribute present (empty when unknown, Table 10.6.3-3..-5),
 * and RetrieveURL (0008,1190) pointing at the gateway, never at the upstream.
 */
import { lookupAttribute, tagOf } from '../../dicom/dictionary.js';
import { REQUIRED_ATTRIBUTES, type QueryLevel } from './levels.js';
import type { DicomJson } from './matching.js';

const RETRIEVE_URL = tagOf('RetrieveURL');
const STUDY_UID = tagOf('StudyInstanceUID');
const SERIES_UID = tagOf('SeriesInstanceUID');
const SOP_UID = tagOf('SOPInstanceUID');

const REQUIRED_TAGS: Record<QueryLevel, Array<{ tag: string; vr: string }>> = {
  study: requiredTags('study'),
  series: requiredTags('series'),
  instance: requiredTags('instance'),
};

function requiredTags(level: QueryLevel): Array<{ tag: string; vr: string }> {
  return REQUIRED_ATTRIBUTES[level]
    .filter((k) => k !== 'RetrieveURL')
    .map((k) => lookupAttribute(k)!)
    .map(({ tag, vr }) => ({ tag, vr }));
}

function firstString(dataset: DicomJson, tag: string): string | undefined {
  const v = dataset[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
}

/** Gateway URL of the resource a result describes (PS3.18 §10.6.3.3). */
export function retrieveUrl(dataset: DicomJson, level: QueryLevel, baseUrl: string): string | undefined {
  const study = firstString(dataset, STUDY_UID);
  if (!study) return undefined;
  let url = `${baseUrl}/studies/${study}`;
  if (level === 'study') return url;
  const series = firstString(dataset, SERIES_UID);
  if (!series) return undefined;
  url += `/series/${series}`;
  if (level === 'series') return url;
  const sop = firstString(dataset, SOP_UID);
  return sop ? `${url}/instances/${sop}` : undefined;
}

export function normalizeResult(dataset: DicomJson, level: QueryLevel, baseUrl: string, levels: readonly QueryLevel[] = [level]): DicomJson {
  const out: DicomJson = { ...dataset };
  for (const required of levels) {
    for (const { tag, vr } of REQUIRED_TAGS[required]) if (!(tag in out)) out[tag] = { vr };
  }
  const url = retrieveUrl(dataset, level, baseUrl);
  if (url) out[RETRIEVE_URL] = { vr: 'UR', Value: [url] };
  else delete out[RETRIEVE_URL];
  return sortKeys(out);
}

/** DICOM JSON lists attributes in tag order (PS3.18 F.2.1); some clients rely on it. */
function sortKeys(dataset: DicomJson): DicomJson {
  const sorted: DicomJson = {};
  for (const key of Object.keys(dataset).sort()) sorted[key] = dataset[key]!;
  return sorted;
}

/** Accepts only an array of objects from the upstream; anything else is its fault. */
export function asDatasetArray(value: unknown): DicomJson[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.every((v) => v && typeof v === 'object' && !Array.isArray(v)) ? (value as DicomJson[]) : undefined;
}
