/**
 * Fills the higher-level attributes that cross-study searches must return
 * (PS3.18 §10.6.3.3.2–3: /series results carry the Table 10.6.3-3 study
 * attributes; instance results the study and series ones) when the upstream
 * leaves them out. Orthanc, for one, omits ModalitiesInStudy and the
 * Number of Study/Series Related counts below the study level. One extra
 * upstream search per 40 distinct parents, only when something is missing.
 */
import { tagOf } from '../../dicom/dictionary.js';
import type { UpstreamClient } from '../../upstream/client.js';
import { REQUIRED_ATTRIBUTES, type QueryLevel } from './levels.js';
import type { DicomJson } from './matching.js';
import { asDatasetArray } from './results.js';
import type { QidoQuery } from './query.js';

const UIDS_PER_QUERY = 40;

interface ParentLevel {
  level: QueryLevel;
  resource: string;
  uidTag: string;
  tags: string[];
}

const STUDY: ParentLevel = { level: 'study', resource: '/studies', uidTag: tagOf('StudyInstanceUID'), tags: requiredTags('study') };
const SERIES: ParentLevel = { level: 'series', resource: '/series', uidTag: tagOf('SeriesInstanceUID'), tags: requiredTags('series') };

function requiredTags(level: QueryLevel): string[] {
  return REQUIRED_ATTRIBUTES[level].filter((k) => k !== 'RetrieveURL').map(tagOf);
}

function parentsToFill(query: QidoQuery): ParentLevel[] {
  if (query.level === 'series') return query.studyUid ? [] : [STUDY];
  if (query.level === 'instance') return query.studyUid ? [SERIES] : [STUDY, SERIES];
  return [];
}

function firstUid(row: DicomJson, tag: string): string | undefined {
  const v = row[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
}

async function fetchParents(upstream: UpstreamClient, parent: ParentLevel, uids: string[], tags: string[]): Promise<Map<string, DicomJson>> {
  const byUid = new Map<string, DicomJson>();
  for (let i = 0; i < uids.length; i += UIDS_PER_QUERY) {
    const chunk = uids.slice(i, i + UIDS_PER_QUERY);
    const query = `${parent.uidTag}=${chunk.join(',')}&includefield=${tags.join(',')}&limit=${chunk.length + 1}`;
    const rows = asDatasetArray(await upstream.getJson(parent.resource, query)) ?? [];
    for (const row of rows) {
      const uid = firstUid(row, parent.uidTag);
      if (uid) byUid.set(uid, row);
    }
  }
  return byUid;
}

async function fillFrom(upstream: UpstreamClient, parent: ParentLevel, rows: DicomJson[]): Promise<void> {
  const missing = parent.tags.filter((tag) => rows.some((row) => !(tag in row)));
  if (missing.length === 0) return;
  const uids = [...new Set(rows.map((r) => firstUid(r, parent.uidTag)).filter((u): u is string => u !== undefined))];
  const parents = await fetchParents(upstream, parent, uids, missing);
  for (const row of rows) {
    const source = parents.get(firstUid(row, parent.uidTag) ?? '');
    if (!source) continue;
    for (const tag of missing) if (!(tag in row) && source[tag]) row[tag] = source[tag]!;
  }
}

/** Mutates `rows` (fresh objects from the upstream) to add missing parent-level attributes. */
export async function enrichWithParents(upstream: UpstreamClient, query: QidoQuery, rows: DicomJson[]): Promise<void> {
  if (rows.length === 0) return;
  for (const parent of parentsToFill(query)) await fillFrom(upstream, parent, rows);
}
